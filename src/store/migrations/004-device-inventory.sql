-- Device inventory: what handsets report about themselves, and what follows from it.

-- Delivered is the SMSC's word (every segment DELIVRD); applied is the handset's own: a later device
-- report showed the delivered version's settings in use. A flag beside the state, not a state: the
-- state machine ends at delivered either way.
ALTER TABLE provisionings ADD COLUMN applied_at timestamptz;

-- A model a handset named that the catalogue lacked is added as 'unverified' (reported_at says when)
-- and takes no part in device resolution until an admin confirms it (or a catalogue import names it).
ALTER TABLE device_models ADD COLUMN status text NOT NULL DEFAULT 'verified'
  CHECK (status IN ('verified', 'unverified'));
ALTER TABLE device_models ADD COLUMN reported_at timestamptz;
CREATE INDEX device_models_unverified_idx ON device_models (reported_at) WHERE status = 'unverified';

-- A handset's reports are read by its first 14 digits (TAC + serial), so an IMEI, an IMEI without its
-- check digit and an IMEISV of one handset share one history; newest (highest id) first.
CREATE INDEX device_reports_handset_idx ON device_reports (left(imei, 14), id DESC);
