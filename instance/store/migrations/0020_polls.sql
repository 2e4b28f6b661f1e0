-- Deciding together, continued: polls (items of kind 'poll', federated as
-- ActivityStreams Questions) and consent proposals (local members only).

-- items.kind gains 'poll', the way 0008 added 'notice' (no row changes).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''need'', ''offer'', ''action'', ''notice''',
    'CHECK (kind IN (''need'', ''offer'', ''action'', ''notice'', ''poll''')
    WHERE type = 'table' AND name = 'items';
PRAGMA writable_schema = RESET;

-- A group may keep polls and proposals to its coordinators.
ALTER TABLE groups ADD COLUMN votes_by_coordinators INTEGER NOT NULL DEFAULT 0;

-- A poll is an item; this row is what makes it one. update_due_at is when
-- the next coalesced Update{Question} may go (at most one a minute).
CREATE TABLE polls (
    item_id         INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    multiple        INTEGER NOT NULL DEFAULT 0,      -- anyOf; else oneOf
    results         TEXT NOT NULL CHECK (results IN ('after_vote', 'after_close')),
    closes_at       TEXT NOT NULL,
    closed_at       TEXT,
    opened_told_at  TEXT,
    closing_told_at TEXT,
    update_due_at   TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE poll_options (
    id       INTEGER PRIMARY KEY,
    item_id  INTEGER NOT NULL REFERENCES polls(item_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    UNIQUE (item_id, position),
    UNIQUE (item_id, name)
) STRICT;

-- One row per voter and option: a local member (member_id) or a remote
-- account (remote_actor, its host kept for domain blocks). A one-choice
-- poll keeps one row per voter (the domain replaces it); remote_object is
-- the vote's Note id.
CREATE TABLE poll_votes (
    id            INTEGER PRIMARY KEY,
    item_id       INTEGER NOT NULL REFERENCES polls(item_id) ON DELETE CASCADE,
    option_id     INTEGER NOT NULL REFERENCES poll_options(id) ON DELETE CASCADE,
    member_id     INTEGER REFERENCES members(id),
    remote_actor  TEXT,
    remote_host   TEXT NOT NULL DEFAULT '',
    remote_object TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    CHECK ((member_id IS NULL) <> (remote_actor IS NULL))
) STRICT;
CREATE UNIQUE INDEX poll_votes_member ON poll_votes(option_id, member_id) WHERE member_id IS NOT NULL;
CREATE UNIQUE INDEX poll_votes_remote ON poll_votes(option_id, remote_actor) WHERE remote_actor IS NOT NULL;
CREATE INDEX poll_votes_item ON poll_votes(item_id);

-- Consent proposals: members answer agree / abstain / disagree / block,
-- each with a reason (required for a block), until the deadline.
CREATE TABLE proposals (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES groups(id),
    created_by      INTEGER NOT NULL REFERENCES members(id),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    closes_at       TEXT NOT NULL,
    closing_told_at TEXT,
    closed_at       TEXT,
    outcome         TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'agreed', 'blocked', 'no_answers'))
) STRICT;

CREATE TABLE proposal_answers (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    answer      TEXT NOT NULL CHECK (answer IN ('agree', 'abstain', 'disagree', 'block')),
    reason      TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (proposal_id, member_id)
) STRICT, WITHOUT ROWID;
