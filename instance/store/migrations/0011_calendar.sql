-- A member's own calendar feed: the actions they are going to, at
-- /calendar/{token}.ics, for calendar apps (which cannot sign in). The
-- token is the only key, so it is random, kept as typed (the member's
-- profile shows the link again, as calendar services show a "secret
-- address"), replaced when the member makes a new one and deleted when
-- they stop it or delete their account.
CREATE TABLE calendar_feeds (
    member_id  INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    token      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
) STRICT;
