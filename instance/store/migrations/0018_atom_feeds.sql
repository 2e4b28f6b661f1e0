-- A member's own Atom feed of what concerns them (their notifications),
-- at /feeds/{token}.atom, for feed readers (which cannot sign in). Like
-- calendar_feeds, the token is the only key, random and kept as typed
-- (the member's page shows the address again); a new one replaces the
-- old, which stops working, and stopping the feed deletes it. A separate
-- table from calendar_feeds, so each link is revoked on its own.
CREATE TABLE atom_feeds (
    member_id  INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    token      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;
