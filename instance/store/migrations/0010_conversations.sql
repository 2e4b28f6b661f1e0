-- Conversations that other servers keep (issue 15).

-- A member's answer to a neighbour's post with a hold word waits for a
-- coordinator, as a local reply does; it is sent only when released.
ALTER TABLE neighbour_replies ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
CREATE INDEX neighbour_replies_held ON neighbour_replies(id) WHERE held = 1;
