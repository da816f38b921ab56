-- The timeline is read per provisioning (provisioning_events_provisioning_idx) and recent events in the
-- order they happened by id (an identity, so it follows time); nothing reads events by `at`, and the
-- index cost every state change an extra index insert (bench:e2e, bench:api).
DROP INDEX IF EXISTS provisioning_events_at_idx;
