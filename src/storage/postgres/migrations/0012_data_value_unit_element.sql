-- A unit's history of one data element: the entry check of every saved cell with no min-max
-- bounds reads it (DataValueService::CheckRange, ListUnitValues(unit, any period, element)).
-- The primary key leads with (org_unit_id, period_id), so that read walked every value of the
-- unit, all periods and all elements (about 9,500 rows a village at 36 months): 8.8 ms of
-- PostgreSQL's time a save, half of its time under the month-end load with two servers
-- (bench/README.md, (c)). With this index it reads the element's rows alone.
CREATE INDEX data_value_unit_element ON data_value (org_unit_id, data_element_id);
