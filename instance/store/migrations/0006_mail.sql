-- Email: the mail queue (a transactional outbox, like fed_events),
-- addresses that bounce, members' notification choices, the instance's
-- own secrets, and password resets.

-- A mail is written in the transaction of the change that causes it. The
-- worker claims it (claim + claimed_until: a lease) before sending and
-- marks it sent as soon as the relay accepts it.
CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER REFERENCES members(id) ON DELETE SET NULL,
    to_address      TEXT NOT NULL,
    kind            TEXT NOT NULL DEFAULT '',   -- notice kind; '' for transactional mail
    lang            TEXT NOT NULL DEFAULT 'en',
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL DEFAULT '',
    unsubscribe     TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed', 'suppressed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claim           TEXT,
    claimed_until   TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    finished_at     TEXT
) STRICT;
CREATE INDEX mail_queue_due ON mail_queue(next_attempt_at) WHERE state = 'queued';
CREATE INDEX mail_queue_finished ON mail_queue(finished_at) WHERE state <> 'queued';

-- An address the relay refused for good (5xx). Nothing is sent to it until
-- its member re-confirms it or changes it.
CREATE TABLE mail_bounces (
    address    TEXT PRIMARY KEY COLLATE NOCASE,
    code       INTEGER NOT NULL DEFAULT 0,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;

-- A member's choice per kind of notification; no row means the default.
CREATE TABLE notice_prefs (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    frequency TEXT NOT NULL CHECK (frequency IN ('now', 'daily', 'weekly', 'never')),
    PRIMARY KEY (member_id, kind)
) STRICT;

-- Keys the instance makes for itself at first use (the HMAC key of
-- unsubscribe links).
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- Password resets: links (an hour) and codes (a day), as SHA-256 hashes.
-- member_id is NULL for a request that named nobody (kept so that every
-- request costs the same; never usable).
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER REFERENCES members(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('link', 'code')),
    created_by INTEGER REFERENCES members(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;
CREATE INDEX password_resets_member ON password_resets(member_id);
