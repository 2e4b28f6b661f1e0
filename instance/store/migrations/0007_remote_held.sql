-- A neighbour group's post with a hold word waits for a coordinator, as a
-- local post does: held posts are not listed in Neighbours.
ALTER TABLE remote_items ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
DROP INDEX remote_items_list;
CREATE INDEX remote_items_list ON remote_items(id) WHERE deleted_at IS NULL AND held = 0;
