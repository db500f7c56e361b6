-- The values an import wrote, for the other servers: a change-log row that names an import too
-- large to list its keys (0013) has each other server read that import's values
-- (Store::ScanImportValues) to bring its analytics engine up to date. Without an index that
-- read was a pass over the whole table (10.5M rows in the month-end load benchmark), about two
-- seconds of PostgreSQL's CPU taken from every save just after a month-end import ended
-- (bench/README.md, (c), session 27). A cell saved since carries no import (''), so the index
-- keeps only the rows still as an import wrote them.
CREATE INDEX data_value_import ON data_value (import_id) WHERE import_id <> '';
