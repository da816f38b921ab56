-- An index no query reads and every new provisioning pays for (issue #14; bench:hot-path counts the rows
-- and entries a push writes): nothing filters or orders provisionings by `created_at` alone (a
-- subscriber's history reads provisionings_subscriber_idx (subscriber_id, created_at DESC); lists and
-- sweeps go by id, state or campaign).
DROP INDEX IF EXISTS provisionings_created_idx;
