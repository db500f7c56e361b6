-- One coverage mark per child for the bulk writes of doses (issue 17, Performance:
-- bench/README.md "Tracker import", session 13). Migration 0028's trigger marks a child on every
-- dose inserted: an import of ten doses per child replaced the child's mark ten times (an
-- INSERT OR REPLACE with its seq lookup, a fifth of the B-tree work of writing a dose). The bulk
-- paths (Store::AddImmunizationDosesBulk, Store::AddTrackedEntitiesBulk) put the one row of
-- `coverage_mark_deferred` in their transaction while they insert doses, and mark each child
-- once themselves before they take it out again (never committed: no other connection sees it).
-- Every other writer of doses (one dose, stock, updates, deletes, the CSV register, transfers)
-- writes without it and is marked by the trigger as before.
CREATE TABLE coverage_mark_deferred (
  one INTEGER PRIMARY KEY CHECK (one = 1)
);

DROP TRIGGER coverage_mark_dose_insert;
CREATE TRIGGER coverage_mark_dose_insert AFTER INSERT ON immunization_dose
  WHEN NOT EXISTS (SELECT 1 FROM coverage_mark_deferred) BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
