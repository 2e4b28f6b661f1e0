-- Federation queues that one slow server cannot stall, and that do not
-- grow without end.

-- Deliveries are claimed with a lease before they are attempted, so the
-- same row is never attempted twice at once (and, later, by two nodes);
-- a worker that dies mid-attempt leaves a lease that simply runs out.
ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;
CREATE INDEX deliveries_host ON deliveries(host, next_attempt_at) WHERE status = 'pending';

-- A host that timed out, refused the connection or answered 429/502/503/
-- 504 is skipped until retry_at (its circuit is open); failures counts
-- such answers in a row and sets the backoff. failing_since stays the
-- start of the current failing streak (the 72-hour "unavailable" rule).
ALTER TABLE hosts ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hosts ADD COLUMN retry_at TEXT;

-- Inbound activities: processed by several workers, one actor's in order
-- (lanes by actor, fairness by host), and a failure is retried at
-- next_attempt_at (seconds, then minutes, then hours) instead of at once.
ALTER TABLE inbox_queue ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_queue ADD COLUMN next_attempt_at TEXT NOT NULL DEFAULT '';
UPDATE inbox_queue SET host = lower(CASE WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1) ELSE rest END)
    FROM (SELECT id AS rid, substr(actor, instr(actor, '://') + 3) AS rest FROM inbox_queue WHERE processed_at IS NULL)
    WHERE id = rid;
DROP INDEX inbox_queue_todo;
CREATE INDEX inbox_queue_host ON inbox_queue(host, id) WHERE processed_at IS NULL;
CREATE INDEX inbox_queue_actor ON inbox_queue(actor, id) WHERE processed_at IS NULL;
