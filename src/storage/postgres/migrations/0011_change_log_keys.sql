-- The keys of the values a change-log row's transaction changed: SQLite migration 0030 says why
-- and how they are written. With two servers on one database, every cell saved through one made
-- the other rebuild its engine from the whole table (10.5M values: a minute of PostgreSQL's CPU
-- a rebuild under the month-end load, bench/README.md); the keys let it read those values alone.
ALTER TABLE change_log ADD COLUMN value_keys TEXT;
