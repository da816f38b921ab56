-- The SMSC operators' page (console) reads the last hour per SMSC: segments submitted and receipts
-- received per minute, the submit -> receipt latency, and a tail of the newest receipts and refused
-- submits (src/store/repositories/smsc-history.ts). Without these indexes each look at the page reads
-- every segment ever stored. All partial: a segment enters an index once it has that time (pending and
-- refused segments have no submitted_at; receipt_at comes with the receipt), and only refused segments
-- are indexed by updated_at (GET /v1/smsc counts submit errors by it too). The cost: a receipt's update
-- of its segment changes indexed columns, so it is no longer a HOT update; the submit's update never was
-- (message_id_normalised is indexed since 001).
CREATE INDEX segments_submitted_at_idx ON segments (submitted_at) WHERE submitted_at IS NOT NULL;
CREATE INDEX segments_receipt_at_idx ON segments (receipt_at) WHERE receipt_at IS NOT NULL;
CREATE INDEX segments_rejected_idx ON segments (updated_at) WHERE submit_status = 'rejected';
