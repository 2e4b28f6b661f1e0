-- What a first-time user trips on (issue 19).
--
-- When a need was done, so the home page can say how many were helped
-- this month; and the requester's thank-you note to the helper.
ALTER TABLE items ADD COLUMN done_at TEXT;
ALTER TABLE items ADD COLUMN thanks TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN thanked_at TEXT;
UPDATE items SET done_at = updated_at WHERE state = 'done';
CREATE INDEX items_done ON items(done_at) WHERE state = 'done' AND deleted_at IS NULL;
