-- The change log, session 21 (src/README.md "The change log"):
-- - A third kind of row, 'content': the public site's articles, columns or settings changed, or an
--   approval moved what the published figures rest on. The other processes serving the store drop
--   the pages they keep rendered (App::PollChanges). Until now only a change of values or metadata
--   emptied them, so every cell saved through one server had the other render its portal again,
--   while a changed site setting never reached it.
-- - import_uid: a 'values' row of an import too large to list its keys (value_keys NULL) names the
--   import, whose rows carry its uid in data_value.import_id. Another server reads those rows
--   alone instead of building its analytics engine again from the whole table (10.5M values under
--   the month-end load with two servers: 24 s of PostgreSQL's time, bench/README.md).
-- SQLite cannot change a CHECK constraint: the table is made again with the same rows
-- (AUTOINCREMENT's counter goes with the rename; the newest row is never pruned, so no seq is
-- handed out twice).
CREATE TABLE change_log_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('values', 'metadata', 'content')),
  origin TEXT NOT NULL,  -- the writing store's random id (a process's own rows are skipped)
  created INTEGER NOT NULL,
  value_keys TEXT,       -- migration 0030
  import_uid TEXT
);
INSERT INTO change_log_new(seq, kind, origin, created, value_keys)
  SELECT seq, kind, origin, created, value_keys FROM change_log;
DROP TABLE change_log;
ALTER TABLE change_log_new RENAME TO change_log;
