-- Group profiles: an avatar and a header image, and up to four profile
-- fields, federated as the Group actor's icon, image and PropertyValue
-- attachments.

-- Images live in the database, not in files: every node of a multi-node
-- instance reads the same database, so every node can serve every image,
-- and a backup of the database is a backup of the images. They are small
-- (re-encoded at 400×400 and 1500×500) and written rarely. hash is the
-- hex SHA-256 of data: the image's URL names it, so an image never
-- changes under its URL and may be cached for ever.
CREATE TABLE media (
    hash         TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

ALTER TABLE groups ADD COLUMN avatar TEXT REFERENCES media(hash);
ALTER TABLE groups ADD COLUMN avatar_alt TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN header TEXT REFERENCES media(hash);
ALTER TABLE groups ADD COLUMN header_alt TEXT NOT NULL DEFAULT '';

CREATE TABLE group_fields (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (group_id, position)
) STRICT;

-- A group's profile changes are federated (Update{Group}) through a new
-- event subject, "group". The list of subjects was a CHECK, which SQLite
-- can change only by rebuilding the table; the rebuilt table checks only
-- that there is a subject. The subjects are typed constants in the code
-- (instance.EventSubject), and the publisher gives up, with an error kept
-- for the operator, any event whose subject it does not know, so a list
-- here would add nothing but a rebuild for every new subject.
CREATE TABLE fed_events_new (
    id              INTEGER PRIMARY KEY,
    subject         TEXT NOT NULL CHECK (subject <> ''),
    subject_id      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    processed_at    TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO fed_events_new (id, subject, subject_id, created_at, processed_at, attempts, next_attempt_at, last_error)
    SELECT id, subject, subject_id, created_at, processed_at, attempts, next_attempt_at, last_error FROM fed_events;
DROP TABLE fed_events;
ALTER TABLE fed_events_new RENAME TO fed_events;
CREATE INDEX fed_events_todo ON fed_events(id) WHERE processed_at IS NULL;
