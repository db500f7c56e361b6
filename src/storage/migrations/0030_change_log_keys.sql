-- The keys of the values a change-log row's transaction changed (issue 16 item 3, session 18),
-- so that another process serving the same store applies those values to its analytics engine
-- instead of building the engine again from the whole table. One line a value,
-- "data_element_id,period_id,org_unit_id,coc_id,aoc_id", '\n' between lines; NULL when the
-- transaction changed more values than are worth listing (an import), or for metadata: then the
-- readers rebuild, as every 'values' row made them do before this migration.
ALTER TABLE change_log ADD COLUMN value_keys TEXT;
