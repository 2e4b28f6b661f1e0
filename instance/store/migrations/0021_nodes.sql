-- Several Hearth processes (nodes) on one database: the state each kept
-- in memory, and had to agree on, moves here.

-- leases: one holder at a time per name, until a time. Periodic sweeps
-- ('sweep:items', 'sweep:mail', …) and inbox lanes ('inbox:' + actor) are
-- taken here; a dead node's lease simply runs out.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
) STRICT;

-- throttle_events: the sign-in, reset, posting and guest throttles count
-- here, so every node counts the same attempts (sliding windows; rows
-- older than the longest window are pruned by the sweep).
CREATE TABLE throttle_events (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at  TEXT NOT NULL
) STRICT;
CREATE INDEX throttle_events_key ON throttle_events(key, at);
CREATE INDEX throttle_events_at ON throttle_events(at);

-- versions: counters bumped in the transaction of a change that nodes
-- cache ('blocks': a block made or lifted), read cheaply by every node.
CREATE TABLE versions (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
) STRICT;
INSERT INTO versions (name, n) VALUES ('blocks', 0);

-- rate_counts: each node's inbox limit counts per key (a sending
-- server, a client address) in the window, written once a second, so
-- every node adds the others' to its own.
CREATE TABLE rate_counts (
    key  TEXT NOT NULL,
    node TEXT NOT NULL,
    n    INTEGER NOT NULL,
    at   TEXT NOT NULL,
    PRIMARY KEY (key, node)
) STRICT;

-- fed_events are claimed with a lease, like deliveries, so two nodes
-- never publish the same event at once.
ALTER TABLE fed_events ADD COLUMN claimed_until TEXT;
