-- Receipt times (issue #11, fault 5). receipt_at is the time we received the receipt; the SMSC's own
-- `submit date` / `done date` of the receipt text (SMPP 3.4 Appendix B, docs/protocol.md §6.6) are kept
-- apart: minute precision in the SMSC's local time, read in its configured time zone (smscs[].timeZone).
ALTER TABLE segments ADD COLUMN smsc_submit_date timestamptz;
ALTER TABLE segments ADD COLUMN smsc_done_date timestamptz;
ALTER TABLE unmatched_receipts ADD COLUMN smsc_submit_date timestamptz;
ALTER TABLE unmatched_receipts ADD COLUMN smsc_done_date timestamptz;

-- Unmatched receipts are listed newest first (GET /v1/messages/unmatched, by id) and those older than the
-- receipt timeout are dropped by a sweep: that one reads them by received_at.
CREATE INDEX unmatched_receipts_received_idx ON unmatched_receipts (received_at);
