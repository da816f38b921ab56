-- 016: the OMA DM 1.2 server (src/dm/, docs/protocol-dm.md). One account per DM client (device_id is
-- the DevId the handset sends as its SyncHdr Source LocURI, e.g. IMEI:490154203237518). Secrets are
-- AES-256-GCM ciphertext (src/dm/secrets.ts), never clear text. client_* is what the handset presents
-- (DMAcc CLCRED, w7 APPSRV), server_* what the server presents (SRVCRED, w7 CLIENT; also the key of
-- package #0), docs/protocol-dm.md §4.5. client_nonce is the NextNonce we gave the handset last,
-- server_nonce the one it gave us (base64 text, as on the wire).
CREATE TABLE dm_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  device_id text NOT NULL,
  server_id text NOT NULL,
  subscriber_id uuid REFERENCES subscribers (id) ON DELETE SET NULL,
  msisdn text CHECK (msisdn ~ '^[0-9]{3,15}$'),
  origin text NOT NULL CHECK (origin IN ('cp-w7', 'admin')),
  client_auth_type text NOT NULL CHECK (client_auth_type IN ('basic', 'md5', 'hmac')),
  client_name text NOT NULL,
  client_secret_enc text NOT NULL,
  client_nonce text NOT NULL DEFAULT '',
  server_auth_type text NOT NULL CHECK (server_auth_type IN ('basic', 'md5', 'hmac')),
  server_name text NOT NULL,
  server_secret_enc text NOT NULL,
  server_nonce text NOT NULL DEFAULT '',
  allow_basic boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  revoked_at timestamptz
);

-- One live account per device; revoked ones stay for the history.
CREATE UNIQUE INDEX dm_accounts_device_live ON dm_accounts (device_id) WHERE revoked_at IS NULL;
CREATE INDEX dm_accounts_msisdn ON dm_accounts (msisdn) WHERE revoked_at IS NULL;
CREATE INDEX dm_accounts_subscriber ON dm_accounts (subscriber_id);

-- A management session: queued (server-initiated, waiting for the handset to call in), active,
-- completed or failed (failure says where it stopped). dm_session_id is the SyncML SessionID.
CREATE TABLE dm_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL REFERENCES dm_accounts (id) ON DELETE CASCADE,
  device_id text NOT NULL,
  dm_session_id text,
  initiator text NOT NULL CHECK (initiator IN ('server', 'client')),
  state text NOT NULL CHECK (state IN ('queued', 'active', 'completed', 'failed')),
  actor text,
  provisioning_id uuid REFERENCES provisionings (id) ON DELETE SET NULL,
  dev_info jsonb,
  dev_detail jsonb,
  report_id bigint,
  failure text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  ended_at timestamptz
);

CREATE INDEX dm_sessions_device ON dm_sessions (device_id, created_at DESC);
CREATE INDEX dm_sessions_queued ON dm_sessions (account_id) WHERE state = 'queued';

-- Each SyncML command the server sent (or will send) in a session, in order, and what became of it:
-- code is the Status code, status the same in plain words (or updated / failed (reason) for FUMO).
CREATE TABLE dm_commands (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES dm_sessions (id) ON DELETE CASCADE,
  position integer NOT NULL,
  cmd text NOT NULL,
  target text NOT NULL,
  action jsonb NOT NULL DEFAULT '{}'::jsonb,
  code text,
  status text NOT NULL DEFAULT 'queued',
  result jsonb,
  correlator text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (session_id, position)
);

CREATE INDEX dm_commands_correlator ON dm_commands (correlator) WHERE correlator IS NOT NULL;

-- A provisioning may carry a DM notification (package #0, docs/protocol.md §9.2) as its content.
ALTER TABLE provisionings DROP CONSTRAINT provisionings_content_kind_check;
ALTER TABLE provisionings ADD CONSTRAINT provisionings_content_kind_check
  CHECK (content_kind IN ('si', 'sl', 'dm-notification'));
