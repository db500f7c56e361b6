-- Immunization coverage kept, not recomputed per query (issue 17, Performance): which children's
-- coverage facts must be computed again. Every write of a child's record (its unit, birth date or
-- status), of a dose or of a hold marks the child here, in the writing transaction, by trigger: so
-- no write path (service, import, register CSV, generator, a CLI in another process) can forget
-- it, and a rolled-back write leaves no mark. One row per child (the newest mark replaces the
-- older), so the table never outgrows the register. A server's coverage keeper
-- (tracker/coverage_keeper.h) reads the marks newer than the last it saw before each coverage
-- query; `seq` follows the commit order (SQLite has one writer at a time). `xact` is
-- PostgreSQL's (the writing transaction's id there); 0 here.
CREATE TABLE coverage_change (
  tracked_entity_id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  xact INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX coverage_change_seq ON coverage_change(seq);

CREATE TRIGGER coverage_mark_person_insert AFTER INSERT ON tracked_entity BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_person_update
  AFTER UPDATE OF org_unit_id, birth_date, status, created ON tracked_entity BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_person_delete AFTER DELETE ON tracked_entity BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (OLD.id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_dose_insert AFTER INSERT ON immunization_dose BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_dose_update AFTER UPDATE ON immunization_dose BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (OLD.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_dose_delete AFTER DELETE ON immunization_dose BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (OLD.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_hold_insert AFTER INSERT ON immunization_hold BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_hold_update AFTER UPDATE ON immunization_hold BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (NEW.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
CREATE TRIGGER coverage_mark_hold_delete AFTER DELETE ON immunization_hold BEGIN
  INSERT OR REPLACE INTO coverage_change(tracked_entity_id, seq)
    VALUES (OLD.tracked_entity_id, (SELECT coalesce(max(seq), 0) + 1 FROM coverage_change));
END;
