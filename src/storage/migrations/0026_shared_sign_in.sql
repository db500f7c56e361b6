-- Sign-in protection shared by every server on one store (issue 16, item 3: several servers).
--
-- login_failure: one row per failed sign-in, per throttle key ("user:<name>", "device:<nonce>",
-- "addr:<ip>"; auth::LoginThrottle). Rows are only inserted and deleted, never updated, so two
-- servers recording failures of one key at once both count. Rows older than the throttle's
-- horizon (window + lock, 30 minutes) are deleted as new ones arrive.
--
-- server_secret: secrets the servers must share, such as the key that signs device cookies
-- (a browser that signed in on one server is known on every other, and after a restart). Set
-- by the first server that asks; never shown by any API.
CREATE TABLE login_failure (
  throttle_key TEXT NOT NULL,
  failed_at INTEGER NOT NULL
);
CREATE INDEX login_failure_key ON login_failure(throttle_key, failed_at);
CREATE INDEX login_failure_at ON login_failure(failed_at);
CREATE TABLE server_secret (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
