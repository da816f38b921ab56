-- Indexes that cost every trigger or state change more than they give (bench:api, bench:e2e).

-- The timeline is read per provisioning (provisioning_events_provisioning_idx) and recent events in the
-- order they happened by id (an identity, so it follows time); nothing reads events by `at`.
DROP INDEX IF EXISTS provisioning_events_at_idx;

-- Which subscriber has a handset now is found through subscriber_devices (its imei index), joined on
-- current_imei. Without an index on current_imei, recording a new handset is a HOT update of the
-- subscriber row (no index entries written) instead of a new entry in each of its indexes.
DROP INDEX IF EXISTS subscribers_imei_idx;
