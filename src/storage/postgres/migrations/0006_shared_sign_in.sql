-- Sign-in protection shared by every server on one store (SQLite migration 0026 says why):
-- failed sign-ins per throttle key, insert-only; secrets the servers share (the device-cookie key).
CREATE TABLE login_failure (
  throttle_key TEXT NOT NULL,
  failed_at BIGINT NOT NULL
);
CREATE INDEX login_failure_key ON login_failure(throttle_key, failed_at);
CREATE INDEX login_failure_at ON login_failure(failed_at);
CREATE TABLE server_secret (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
