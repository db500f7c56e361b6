-- A third kind of change-log row, 'content', and the import a 'values' row names when it is too
-- large to list its keys: SQLite migration 0031 says why.
ALTER TABLE change_log DROP CONSTRAINT change_log_kind_check;
ALTER TABLE change_log ADD CONSTRAINT change_log_kind_check
  CHECK (kind IN ('values', 'metadata', 'content'));
ALTER TABLE change_log ADD COLUMN import_uid TEXT;
