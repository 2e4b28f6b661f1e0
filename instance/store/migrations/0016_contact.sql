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

-- Places on actions for people without an account: pending until the
-- emailed link confirms them (within a day), then a row of attendees, so
-- they count against the action's and the role's capacity like a
-- member's. Names and addresses are erased [items] purge_after_days after
-- the action.
CREATE TABLE guest_places (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    slot_id    INTEGER REFERENCES action_slots(id) ON DELETE SET NULL,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'going', 'cancelled')),
    created_at TEXT NOT NULL,
    erased_at  TEXT
) STRICT;
CREATE INDEX guest_places_item ON guest_places(item_id, status);
CREATE INDEX guest_places_pending ON guest_places(created_at) WHERE status = 'pending';

-- A place on an action is a member's or a guest's.
CREATE TABLE attendees_new (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    slot_id    INTEGER REFERENCES action_slots(id) ON DELETE CASCADE,
    member_id  INTEGER REFERENCES members(id) ON DELETE CASCADE,
    guest_id   INTEGER UNIQUE REFERENCES guest_places(id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN ('going', 'waiting')),
    created_at TEXT NOT NULL,
    UNIQUE (item_id, member_id),
    CHECK ((member_id IS NULL) <> (guest_id IS NULL))
) STRICT;
INSERT INTO attendees_new (id, item_id, slot_id, member_id, status, created_at)
    SELECT id, item_id, slot_id, member_id, status, created_at FROM attendees;
DROP TABLE attendees;
ALTER TABLE attendees_new RENAME TO attendees;
CREATE INDEX attendees_item ON attendees(item_id, status, id);
CREATE INDEX attendees_member ON attendees(member_id);
