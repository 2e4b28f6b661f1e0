-- Needs, offers and actions ("items"), their responses, help offers,
-- attendance, notifications and full-text search.

ALTER TABLE members ADD COLUMN helper_friend INTEGER NOT NULL DEFAULT 0 CHECK (helper_friend IN (0, 1));
-- Which version of the code of conduct the member accepted (with the time
-- already in conduct_accepted_at), so a changed code can be asked again.
ALTER TABLE members ADD COLUMN conduct_version TEXT NOT NULL DEFAULT '';

-- One table for the three kinds: they share most fields, the home page
-- lists them together, and one full-text index covers them all. Columns that
-- only one kind uses are NULL for the others.
CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('need', 'offer', 'action')),
    group_id      INTEGER NOT NULL REFERENCES groups(id),
    author_id     INTEGER NOT NULL REFERENCES members(id),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    category      TEXT NOT NULL DEFAULT '',
    area          TEXT NOT NULL DEFAULT '',
    visibility    TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'village')),
    state         TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'done', 'closed', 'taken', 'scheduled', 'cancelled')),
    state_reason  TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT,
    -- needs
    needed_by        TEXT,
    expires_at       TEXT,
    address          TEXT NOT NULL DEFAULT '',
    contact          TEXT NOT NULL DEFAULT '',
    on_behalf_name   TEXT NOT NULL DEFAULT '',
    on_behalf_phone  TEXT NOT NULL DEFAULT '',
    claimed_by       INTEGER REFERENCES members(id),
    claim_expires_at TEXT,
    reminded_at      TEXT,
    -- offers
    available_until TEXT,
    taken_by        INTEGER REFERENCES members(id),
    -- actions
    starts_at  TEXT,
    ends_at    TEXT,
    place      TEXT NOT NULL DEFAULT '',
    capacity   INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0)
) STRICT;
-- Lists walk these newest-first and stop at the page size, instead of
-- sorting every match (measured: 5.5 ms → well under 1 ms with 10,000 items).
CREATE INDEX items_list ON items(kind, id) WHERE deleted_at IS NULL;
CREATE INDEX items_category ON items(category, id) WHERE deleted_at IS NULL;
CREATE INDEX items_group ON items(group_id, id);
CREATE INDEX items_author ON items(author_id);
CREATE INDEX items_claimed ON items(claimed_by) WHERE claimed_by IS NOT NULL;
CREATE INDEX items_expiry ON items(state, expires_at) WHERE kind = 'need';
CREATE INDEX items_starts ON items(starts_at) WHERE kind = 'action';

-- "I can help" on a need, "I'd like this" on an offer.
CREATE TABLE interests (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    message    TEXT NOT NULL DEFAULT '',
    buddy      INTEGER NOT NULL DEFAULT 0 CHECK (buddy IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (item_id, member_id)
) STRICT;

CREATE TABLE action_slots (
    id       INTEGER PRIMARY KEY,
    item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    position INTEGER NOT NULL
) STRICT;
CREATE INDEX action_slots_item ON action_slots(item_id);

-- slot_id NULL means "joined the action, no particular role".
CREATE TABLE attendees (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    slot_id    INTEGER REFERENCES action_slots(id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN ('going', 'waiting')),
    created_at TEXT NOT NULL,
    UNIQUE (item_id, member_id)
) STRICT;
CREATE INDEX attendees_item ON attendees(item_id, status, id);
CREATE INDEX attendees_member ON attendees(member_id);

CREATE TABLE responses (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES members(id),
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    removed_by INTEGER REFERENCES members(id)
) STRICT;
CREATE INDEX responses_item ON responses(item_id, id);

-- Things a member is told on their page ("you are off the waiting list").
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    item_id    INTEGER REFERENCES items(id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT
) STRICT;
CREATE INDEX notifications_member ON notifications(member_id, id);

-- Full-text search over live items (external-content FTS5, kept in step by
-- triggers). Private fields (address, contact, on-behalf details) are never
-- indexed.
CREATE VIRTUAL TABLE items_fts USING fts5(title, description, area, category, content='items', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, title, description, area, category) VALUES (new.id, new.title, new.description, new.area, new.category);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, description, area, category) VALUES ('delete', old.id, old.title, old.description, old.area, old.category);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, description, area, category ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, description, area, category) VALUES ('delete', old.id, old.title, old.description, old.area, old.category);
    INSERT INTO items_fts(rowid, title, description, area, category) VALUES (new.id, new.title, new.description, new.area, new.category);
END;
