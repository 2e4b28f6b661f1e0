-- Federation: keys, remote actors, followers, follows of remote groups,
-- the inbound queue, the transactional outbox, deliveries and what
-- neighbouring groups publish.

-- One RSA key pair per local actor: "group:village", "member:ann", "instance".
CREATE TABLE actor_keys (
    actor       TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- Cache of remote actors (and their keys), refreshed on signature failure.
CREATE TABLE remote_actors (
    id             TEXT PRIMARY KEY,
    type           TEXT NOT NULL DEFAULT '',
    username       TEXT NOT NULL DEFAULT '',
    host           TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    inbox          TEXT NOT NULL DEFAULT '',
    shared_inbox   TEXT NOT NULL DEFAULT '',
    key_id         TEXT NOT NULL DEFAULT '',
    public_key_pem TEXT NOT NULL DEFAULT '',
    fetched_at     TEXT NOT NULL
) STRICT;
CREATE INDEX remote_actors_key ON remote_actors(key_id);

CREATE TABLE followers (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    actor_id     TEXT NOT NULL,
    host         TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT NOT NULL DEFAULT '',
    follow_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (group_id, actor_id)
) STRICT;
CREATE INDEX followers_actor ON followers(actor_id);

-- Remote groups (or people) that a local group follows.
CREATE TABLE following (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    actor_id   TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    follow_id  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('resolving', 'pending', 'accepted', 'rejected', 'failed', 'removing')),
    error      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (group_id, address)
) STRICT;
CREATE INDEX following_actor ON following(actor_id);

-- Verified inbound activities, recorded by id before answering 202.
CREATE TABLE inbox_queue (
    id           INTEGER PRIMARY KEY,
    activity_id  TEXT NOT NULL UNIQUE,
    actor        TEXT NOT NULL,
    type         TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX inbox_queue_todo ON inbox_queue(id) WHERE processed_at IS NULL;

-- The transactional outbox: written in the same transaction as the change
-- that must be federated; the federation worker turns each into activities.
CREATE TABLE fed_events (
    id           INTEGER PRIMARY KEY,
    subject      TEXT NOT NULL CHECK (subject IN ('item', 'response', 'neighbour_reply', 'follow', 'unfollow', 'flag')),
    subject_id   INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    processed_at TEXT
) STRICT;
CREATE INDEX fed_events_todo ON fed_events(id) WHERE processed_at IS NULL;

-- Activities we published, for outbox collections and GET by id.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    actor       TEXT NOT NULL,
    activity_id TEXT NOT NULL UNIQUE,
    object_id   TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    body        TEXT NOT NULL,
    public      INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_actor ON outbox(actor, id);
CREATE INDEX outbox_object ON outbox(object_id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    inbox           TEXT NOT NULL,
    host            TEXT NOT NULL,
    signer          TEXT NOT NULL,
    activity_id     TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    UNIQUE (inbox, activity_id)
) STRICT;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';

-- Hosts that keep failing are marked unavailable until they answer again.
CREATE TABLE hosts (
    host            TEXT PRIMARY KEY,
    failing_since   TEXT,
    last_success_at TEXT
) STRICT;

ALTER TABLE items ADD COLUMN federated INTEGER NOT NULL DEFAULT 0;

-- Replies from the fediverse sit beside local ones: author_id is NULL and
-- the remote author is named here. content_html is sanitised at ingest.
ALTER TABLE responses ADD COLUMN remote_actor TEXT;
ALTER TABLE responses ADD COLUMN remote_name TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN remote_handle TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN ap_id TEXT;
ALTER TABLE responses ADD COLUMN content_html TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN federated INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX responses_ap_id ON responses(ap_id) WHERE ap_id IS NOT NULL;

-- What followed remote groups publish (the "Neighbours" view).
CREATE TABLE remote_items (
    id           INTEGER PRIMARY KEY,
    ap_id        TEXT NOT NULL UNIQUE,
    actor        TEXT NOT NULL,
    actor_name   TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL DEFAULT '',
    content_html TEXT NOT NULL DEFAULT '',
    category     TEXT NOT NULL DEFAULT '',
    area         TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    starts_at    TEXT,
    ends_at      TEXT,
    place        TEXT NOT NULL DEFAULT '',
    published_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
) STRICT;
CREATE INDEX remote_items_list ON remote_items(id) WHERE deleted_at IS NULL;

-- A member's answer to a neighbour's item, federated as a reply.
CREATE TABLE neighbour_replies (
    id             INTEGER PRIMARY KEY,
    remote_item_id INTEGER NOT NULL REFERENCES remote_items(id) ON DELETE CASCADE,
    member_id      INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;
