-- Status queries (issue #15 item 2): a submitted segment without its final receipt some time after its
-- submit is asked about with query_sm (src/provisioning/sweeps.ts queryOverdueSegments). The time it was
-- last asked keeps the sweeps of several workers from asking about it again before its interval is up,
-- and a partial index finds the segments still waiting for a final state (few: most get their receipt in
-- seconds) without reading every segment ever stored.
ALTER TABLE segments ADD COLUMN status_queried_at timestamptz;
CREATE INDEX segments_awaiting_final_idx ON segments (smsc, submitted_at)
  WHERE submit_status = 'submitted' AND (receipt_state IS NULL OR receipt_state IN ('ENROUTE', 'ACCEPTD'));
