-- Reserved: another branch of issue 13 adds migration 0006. This no-op
-- keeps the numbering contiguous on the fed-workers branch; drop it (or
-- renumber 0007) when merging.
SELECT 1;
