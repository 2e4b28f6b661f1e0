-- A federation event whose handling fails (a neighbour's server that does
-- not answer while we look up its group, say) is retried with backoff
-- instead of on every tick, and given up after a while; the last error is
-- kept for the operator.
ALTER TABLE fed_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fed_events ADD COLUMN next_attempt_at TEXT NOT NULL DEFAULT '';
ALTER TABLE fed_events ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
