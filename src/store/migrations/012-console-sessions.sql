-- 012: sessions of the web console (src/console/sessions.ts). The cookie carries a random session id;
-- only its SHA-256 is kept here, so a copy of this table opens no session. A session belongs to the API
-- key it was signed in with: revoking or expiring the key ends it (the lookup joins api_keys), and so
-- does signing out (the row is deleted). idle_until moves forward on every request, never past
-- absolute_until.
CREATE TABLE console_sessions (
  id_hash text PRIMARY KEY,
  api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  idle_until timestamptz NOT NULL,
  absolute_until timestamptz NOT NULL
);

CREATE INDEX console_sessions_api_key ON console_sessions (api_key_id);
CREATE INDEX console_sessions_idle_until ON console_sessions (idle_until);
