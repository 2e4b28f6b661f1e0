-- Conversations that other servers keep (issue 15).

-- A member's answer to a neighbour's post with a hold word waits for a
-- coordinator, as a local reply does; it is sent only when released.
ALTER TABLE neighbour_replies ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
CREATE INDEX neighbour_replies_held ON neighbour_replies(id) WHERE held = 1;

-- Inbound activities are recorded by a key instead of their id alone: an
-- Update's key adds its object's version (its `updated`, or a hash of
-- it), because GoToSocial sends every edit of a post under one activity
-- id. SQLite cannot drop the UNIQUE on activity_id in place, so the table
-- is rebuilt; every row keeps its id as its key.
CREATE TABLE inbox_queue_new (
    id              INTEGER PRIMARY KEY,
    activity_id     TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    actor           TEXT NOT NULL,
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    processed_at    TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    host            TEXT NOT NULL DEFAULT '',
    next_attempt_at TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO inbox_queue_new (id, activity_id, dedupe_key, actor, type, body, received_at, processed_at, attempts, error, host, next_attempt_at)
    SELECT id, activity_id, activity_id, actor, type, body, received_at, processed_at, attempts, error, host, next_attempt_at FROM inbox_queue;
DROP TABLE inbox_queue;
ALTER TABLE inbox_queue_new RENAME TO inbox_queue;
CREATE INDEX inbox_queue_host ON inbox_queue(host, id) WHERE processed_at IS NULL;
CREATE INDEX inbox_queue_actor ON inbox_queue(actor, id) WHERE processed_at IS NULL;

-- An item's life on other servers. Mastodon ignores a Create of an object
-- id it has seen, and refuses one it has a Tombstone for, so an item made
-- public again after a Delete went out is published under a new id (its
-- revision); fed_published_at is when its current revision's Create went
-- out (its `published`), fed_withdrawn_at when the last Delete did.
ALTER TABLE items ADD COLUMN fed_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN fed_published_at TEXT;
ALTER TABLE items ADD COLUMN fed_withdrawn_at TEXT;
