-- Moderation and safeguarding: reports, the moderation log, blocks, held
-- and hidden content, helper verifications, welfare concerns, breaks,
-- email confirmation, account deletion and the purge of private details.

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    reporter_id     INTEGER REFERENCES members(id) ON DELETE SET NULL,
    remote_reporter TEXT,           -- the actor of an incoming Flag
    subject         TEXT NOT NULL CHECK (subject IN ('item', 'response', 'member', 'remote_actor')),
    item_id         INTEGER REFERENCES items(id) ON DELETE SET NULL,
    response_id     INTEGER REFERENCES responses(id) ON DELETE SET NULL,
    member_id       INTEGER REFERENCES members(id) ON DELETE SET NULL,
    remote_actor    TEXT,
    category        TEXT NOT NULL CHECK (category IN ('spam', 'harassment', 'hate', 'safety', 'misleading', 'other')),
    details         TEXT NOT NULL DEFAULT '',
    forward         INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'dismissed')),
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    resolved_by     INTEGER REFERENCES members(id)
) STRICT;
CREATE INDEX reports_open ON reports(status, id);

-- Every moderation action: who, what, when and why. All coordinators read it.
CREATE TABLE moderation_log (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER REFERENCES members(id),   -- NULL: the command line or the system
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,                    -- human-readable: "need 12", "@ann", "spam.example"
    reason     TEXT NOT NULL DEFAULT '',
    report_id  INTEGER REFERENCES reports(id),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE blocked_domains (
    domain     TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES members(id),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE blocked_actors (
    actor      TEXT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES members(id),
    created_at TEXT NOT NULL
) STRICT;

-- held: waiting for a coordinator (a filtered word); hidden: taken down by
-- a coordinator. Neither is listed or federated.
ALTER TABLE items ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN hidden_reason TEXT;
ALTER TABLE items ADD COLUMN purged_at TEXT;
ALTER TABLE responses ADD COLUMN held INTEGER NOT NULL DEFAULT 0;

ALTER TABLE notifications ADD COLUMN detail TEXT NOT NULL DEFAULT '';

ALTER TABLE members ADD COLUMN on_break INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN email_confirmed_at TEXT;
ALTER TABLE members ADD COLUMN deleted_at TEXT;

CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    link       TEXT NOT NULL,       -- shown to coordinators when no SMTP is set up
    expires_at TEXT NOT NULL
) STRICT;

-- That checks were done, by whom and when: never the documents.
CREATE TABLE verifications (
    id            INTEGER PRIMARY KEY,
    member_id     INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    check_type    TEXT NOT NULL CHECK (check_type IN ('id_seen', 'references', 'dbs')),
    verified_by   INTEGER REFERENCES members(id),
    verified_on   TEXT NOT NULL,
    expires_on    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    INTEGER REFERENCES members(id),
    revoke_reason TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX verifications_member ON verifications(member_id);

-- Welfare concerns go to safeguarding leads only and never leave the instance.
CREATE TABLE concerns (
    id          INTEGER PRIMARY KEY,
    reporter_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    about       TEXT NOT NULL,
    details     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE concern_log (
    id         INTEGER PRIMARY KEY,
    concern_id INTEGER NOT NULL REFERENCES concerns(id) ON DELETE CASCADE,
    actor_id   INTEGER REFERENCES members(id),
    action     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
