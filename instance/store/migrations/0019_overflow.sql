-- Overflow to neighbouring villages (issue 17 point 4). Assigned number
-- 0033; numbered here after main's last so the runner (which refuses
-- gaps) accepts it until the lead renumbers it at merge.

-- A group's trusted neighbours: groups it follows that follow it back,
-- named by a coordinator. A need nobody here offered to help with is
-- offered to them; needs in a sensitive category only to neighbours
-- trusted for those too.
CREATE TABLE overflow_neighbours (
    id         INTEGER PRIMARY KEY,
    group_id   INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    actor_id   TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    sensitive  INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (group_id, actor_id)
) STRICT;

-- The requester's answer to "Share with … if no one here can help?"
-- (no answer is no), and when the need was offered to the neighbours.
ALTER TABLE items ADD COLUMN overflow_consent INTEGER NOT NULL DEFAULT 0 CHECK (overflow_consent IN (0, 1));
ALTER TABLE items ADD COLUMN overflowed_at TEXT;
-- A helper from a neighbouring village whom the requester accepted: their
-- actor and name (claimed_by stays NULL: they have no account here).
ALTER TABLE items ADD COLUMN claimed_remote TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN claimed_remote_name TEXT NOT NULL DEFAULT '';

-- One row per neighbour a need was offered to: queued until the
-- federation worker sends it, sent, then withdrawn (a Delete) when the
-- need is claimed, closed, done, deleted or the requester says no.
CREATE TABLE overflows (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    actor_id     TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'withdrawn')),
    created_at   TEXT NOT NULL,
    withdrawn_at TEXT,
    UNIQUE (item_id, actor_id)
) STRICT;
CREATE INDEX overflows_live ON overflows(item_id) WHERE state <> 'withdrawn';

-- On the receiving side: a neighbour's need offered to us ("Needs from
-- nearby"), shown to members only once a coordinator shares it.
ALTER TABLE remote_items ADD COLUMN overflow INTEGER NOT NULL DEFAULT 0 CHECK (overflow IN (0, 1));
ALTER TABLE remote_items ADD COLUMN shared_at TEXT;
