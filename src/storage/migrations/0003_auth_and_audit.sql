-- Sessions, API tokens, and the append-only audit trail with a hash chain.

CREATE TABLE session (
  token_hash   TEXT PRIMARY KEY,      -- SHA-256 of the cookie value; the value itself is never stored
  user_id      INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  csrf_token   TEXT NOT NULL,
  created      INTEGER NOT NULL,
  last_seen    INTEGER NOT NULL,
  address      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX session_user ON session(user_id);

CREATE TABLE api_token (
  id          INTEGER PRIMARY KEY,
  uid         TEXT NOT NULL UNIQUE,
  user_id     INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  token_hash  TEXT NOT NULL UNIQUE,   -- SHA-256 of the token
  expires     INTEGER NOT NULL,       -- unix millis
  created     INTEGER NOT NULL
);

-- Every write, sign-in and administrative act. Rows are only ever inserted: the triggers below
-- refuse UPDATE and DELETE, and each row's hash covers the previous row's hash, so editing the
-- file by other means is detected by `weijian audit verify`.
CREATE TABLE audit (
  id           INTEGER PRIMARY KEY,
  type         TEXT NOT NULL,          -- LOGIN, LOGIN_FAILED, METADATA, USER, DATA_VALUE, …
  username     TEXT NOT NULL,
  org_unit_id  INTEGER,                -- the unit the act concerns, when there is one
  object       TEXT NOT NULL DEFAULT '',
  detail       TEXT NOT NULL DEFAULT '',
  address      TEXT NOT NULL DEFAULT '',
  created      INTEGER NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX audit_type_created ON audit(type, created);
CREATE INDEX audit_org_unit ON audit(org_unit_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

-- The per-value history joins the chain too.
ALTER TABLE data_value_audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE data_value_audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TRIGGER data_value_audit_no_update BEFORE UPDATE ON data_value_audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER data_value_audit_no_delete BEFORE DELETE ON data_value_audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
