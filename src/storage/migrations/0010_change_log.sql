-- The change log: one row per committed transaction that changed data values or metadata,
-- written in that same transaction, so that every process serving the file (a server while
-- the CLI imports into it) notices the change by polling for rows after the last it saw.
CREATE TABLE change_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('values', 'metadata')),
  origin TEXT NOT NULL,  -- the writing store's random id (a process's own rows are skipped)
  created INTEGER NOT NULL
);
