-- Recurring actions ("every Tuesday", "the first Saturday of the month").
-- A series keeps its rule, not its dates: an RRULE (RFC 5545, without
-- DTSTART) and the first date's start, whose clock time every date keeps.
-- Its dates are ordinary actions (items, each with its own places, roles
-- and waiting list), made a window ahead by the sweep: made_until is how
-- far they have been made, and ended says the rule has no more, so a rule
-- with no end is never expanded beyond the window.
CREATE TABLE action_series (
    id         INTEGER PRIMARY KEY,
    rule       TEXT NOT NULL,
    first_at   TEXT NOT NULL,
    minutes    INTEGER NOT NULL CHECK (minutes > 0),
    made_until TEXT NOT NULL,
    ended      INTEGER NOT NULL DEFAULT 0 CHECK (ended IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

-- A date of a series: occurs_on is the rule's date for it (YYYY-MM-DD in
-- the instance's time zone), kept when the date is moved, so a moved date
-- is still "the 8 December one" (RECURRENCE-ID in .ics) and a skipped
-- (cancelled) one is an EXDATE and never made again. quiet dates are not
-- federated: other servers see a series as its next date only, and the
-- sweep makes the next one loud when the one before has happened.
-- gap_told_at is when the regulars were told the date has a free role.
ALTER TABLE items ADD COLUMN series_id INTEGER REFERENCES action_series(id);
ALTER TABLE items ADD COLUMN occurs_on TEXT;
ALTER TABLE items ADD COLUMN quiet INTEGER NOT NULL DEFAULT 0 CHECK (quiet IN (0, 1));
ALTER TABLE items ADD COLUMN gap_told_at TEXT;
CREATE UNIQUE INDEX items_series_date ON items(series_id, occurs_on) WHERE series_id IS NOT NULL;

-- Standing places ("every week"): a regular is put on each new date as it
-- is made, in the role of that name (slot_name '' for no role).
CREATE TABLE series_regulars (
    series_id  INTEGER NOT NULL REFERENCES action_series(id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    slot_name  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (series_id, member_id)
) STRICT;
CREATE INDEX series_regulars_member ON series_regulars(member_id);
