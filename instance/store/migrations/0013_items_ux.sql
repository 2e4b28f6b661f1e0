-- What a first-time user trips on (issue 19).
--
-- When a need was done, so the home page can say how many were helped
-- this month; and the requester's thank-you note to the helper.
ALTER TABLE items ADD COLUMN done_at TEXT;
ALTER TABLE items ADD COLUMN thanks TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN thanked_at TEXT;
UPDATE items SET done_at = updated_at WHERE state = 'done';
CREATE INDEX items_done ON items(done_at) WHERE state = 'done' AND deleted_at IS NULL;

-- "Replies (N)" on an item page: the replies anyone can see (not deleted,
-- removed or held), kept by triggers so that every way a reply arrives or
-- changes (a member, another server, a coordinator) keeps it right, and an
-- item with a hundred thousand replies does not count them on every view
-- (counting 100,000 index entries took 8 ms).
ALTER TABLE items ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
UPDATE items SET reply_count = (SELECT count(*) FROM responses r WHERE r.item_id = items.id AND r.deleted_at IS NULL AND r.held = 0);
CREATE TRIGGER responses_count_insert AFTER INSERT ON responses WHEN new.deleted_at IS NULL AND new.held = 0 BEGIN
    UPDATE items SET reply_count = reply_count + 1 WHERE id = new.item_id;
END;
CREATE TRIGGER responses_count_update AFTER UPDATE OF deleted_at, held ON responses BEGIN
    UPDATE items SET reply_count = reply_count + (new.deleted_at IS NULL AND new.held = 0) - (old.deleted_at IS NULL AND old.held = 0)
    WHERE id = new.item_id;
END;
CREATE TRIGGER responses_count_delete AFTER DELETE ON responses WHEN old.deleted_at IS NULL AND old.held = 0 BEGIN
    UPDATE items SET reply_count = reply_count - 1 WHERE id = old.item_id;
END;
