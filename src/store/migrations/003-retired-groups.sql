-- 003: groups an admin retired (DELETE /v1/groups/:name). Seeding inserts every group of groups.yaml the
-- table lacks, at every start (src/provisioning/seeds.ts seedGroups); without a record of the retirement
-- a retired seed group would be back after the next restart. Creating the group again (POST or PUT
-- /v1/groups) removes its row here.
CREATE TABLE retired_groups (
  name text PRIMARY KEY,
  retired_at timestamptz NOT NULL DEFAULT now()
);
