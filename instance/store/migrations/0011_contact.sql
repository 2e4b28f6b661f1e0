-- People are told on their phones (Web Push), get in touch privately once
-- a helper is accepted, and people without an account take places on
-- actions.

-- The devices members turned notifications on for. An endpoint belongs to
-- one member at a time: the last to turn notifications on for it.
CREATE TABLE push_subscriptions (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    endpoint        TEXT NOT NULL UNIQUE,
    p256dh          TEXT NOT NULL,
    auth            TEXT NOT NULL,
    device          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    last_success_at TEXT
) STRICT;
CREATE INDEX push_subscriptions_member ON push_subscriptions(member_id);

-- The push queue: one row per notification and device, written in the
-- transaction of the change it tells of, sent by a worker with retries.
CREATE TABLE push_queue (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
    member_id       INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claim           TEXT,
    claimed_until   TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    finished_at     TEXT
) STRICT;
CREATE INDEX push_queue_due ON push_queue(next_attempt_at) WHERE state = 'queued';
CREATE INDEX push_queue_subscription ON push_queue(subscription_id);

-- Private messages on a need, between its requester, the accepted helper
-- and coordinators. Never federated; erased with the need's address
-- ([items] purge_after_days after it is closed or done) and with their
-- writer's account.
CREATE TABLE need_messages (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    -- the helper whose claim it was written in: the thread is between the
    -- requester and that helper (coordinators read every one)
    helper_id  INTEGER NOT NULL,
    body       TEXT NOT NULL,
    held       INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX need_messages_item ON need_messages(item_id, id);
CREATE INDEX need_messages_author ON need_messages(author_id);
