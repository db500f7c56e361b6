-- data_value's five foreign keys (data element, period, org unit, category option combo,
-- attribute option combo) are dropped on PostgreSQL (issue 16 item 7; SQLite keeps its own:
-- there imports already skip them). Checked row by row they were about 90% of PostgreSQL's CPU
-- in an import (bench/README.md, "PostgreSQL (issue 16 item 7)": five index probes and a row
-- lock per value, through a trigger each), where every value's references have already been
-- resolved against the catalog before it reaches the store.
--
-- What guarantees the references now (storage/sql_store_impl.h, one code for both stores):
-- * Every write of data values (imports, cell saves, federation receipts: all go through the
--   store's one value writer) checks the distinct ids of each batch that may create a value in
--   one statement, under FOR KEY SHARE locks on the referenced rows (the lock the triggers took,
--   per batch instead of per row). An id that is not there refuses the batch before anything of
--   it is written, naming the write (the import names its row).
-- * Deleting a data element, a category option combo or a category combo with its option combos
--   first locks the rows (FOR UPDATE, which waits for writers holding FOR KEY SHARE), then refuses
--   when any value (live or deleted) refers to them, as the foreign keys refused. Org units and
--   periods are never deleted.
-- * `weijian migrate --from FILE` checks the copied values' references over the whole table
--   before it commits.
ALTER TABLE data_value DROP CONSTRAINT IF EXISTS data_value_data_element_id_fkey;
ALTER TABLE data_value DROP CONSTRAINT IF EXISTS data_value_period_id_fkey;
ALTER TABLE data_value DROP CONSTRAINT IF EXISTS data_value_org_unit_id_fkey;
ALTER TABLE data_value DROP CONSTRAINT IF EXISTS data_value_coc_id_fkey;
ALTER TABLE data_value DROP CONSTRAINT IF EXISTS data_value_aoc_id_fkey;
