-- People are told: notifications of every kind, the sweep's reminders
-- (each once), the at-once emails of new posts and the daily and weekly
-- digests (each once), and members' chosen categories.

-- A notification's kind is now its code without the "note." prefix; who
-- did it (a member here, or a remote actor's name) and the element of the
-- item page it points at are kept with it.
UPDATE notifications SET code = substr(code, 6) WHERE code LIKE 'note.%';
ALTER TABLE notifications ADD COLUMN actor_id INTEGER REFERENCES members(id) ON DELETE SET NULL;
ALTER TABLE notifications ADD COLUMN actor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN anchor TEXT NOT NULL DEFAULT '';
-- The header's unread count (every page) and "opening an item marks its
-- notifications read" read only unread rows.
CREATE INDEX notifications_unread ON notifications(member_id, item_id) WHERE read_at IS NULL;
-- Who to tell of a reply: the members here who replied before. Remote
-- replies (thousands, on a popular post) are not in this index.
CREATE INDEX responses_local_authors ON responses(item_id, author_id) WHERE author_id IS NOT NULL AND deleted_at IS NULL;

-- Where an offer of help stands: waiting for the requester's choice,
-- accepted (the helper claimed the need), or released.
ALTER TABLE interests ADD COLUMN state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'accepted', 'released'));
UPDATE interests SET state = 'accepted'
    WHERE EXISTS (SELECT 1 FROM items i WHERE i.id = interests.item_id AND i.claimed_by = interests.member_id);

-- Once-only records of the sweep's reminders. tomorrow_for and
-- lapse_warned_for hold the start (or needed-by day) and the claim expiry
-- they were sent for, so a changed date is reminded again.
ALTER TABLE items ADD COLUMN unanswered_at TEXT;
ALTER TABLE items ADD COLUMN tomorrow_for TEXT;
ALTER TABLE items ADD COLUMN lapse_warned_for TEXT;
-- New posts are emailed at once to the members who chose that; announced_at
-- records that it was done (in the transaction that queued the mail).
ALTER TABLE items ADD COLUMN announced_at TEXT;
-- What existed before this version is not news: no burst of emails, and
-- coordinators are not told at once about every old unanswered need.
UPDATE items SET announced_at = created_at, unanswered_at = created_at;
CREATE INDEX items_unannounced ON items(id) WHERE announced_at IS NULL;

-- The categories a member hears about (none: all of them).
CREATE TABLE member_categories (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    category  TEXT NOT NULL,
    PRIMARY KEY (member_id, category)
) STRICT;

-- The last digest each member got, by frequency: the scheduled time it
-- covered up to. The next covers from there, so a restart or a day the
-- instance was down misses nothing and sends nothing twice.
CREATE TABLE digests (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    sent_for  TEXT NOT NULL,
    PRIMARY KEY (member_id, frequency)
) STRICT;

-- Things that happened once to the instance (the first email the relay
-- accepted), for the admin's first-run checklist.
CREATE TABLE instance_facts (
    name TEXT PRIMARY KEY,
    at   TEXT NOT NULL
) STRICT;
