-- Provenance of imported values: which import wrote a value, and each import's summary.

ALTER TABLE data_value ADD COLUMN import_id TEXT NOT NULL DEFAULT '';

CREATE TABLE data_import (
  id        INTEGER PRIMARY KEY,
  uid       TEXT NOT NULL UNIQUE,
  username  TEXT NOT NULL,
  format    TEXT NOT NULL,
  created   INTEGER NOT NULL,
  status    TEXT NOT NULL,
  summary   TEXT NOT NULL           -- the import summary as JSON, as it was returned
);
