-- One coverage mark per child and statement for inserted doses (issue 17, Performance; SQLite
-- migration 0029 says why). Migration 0008's row trigger marked a child once per dose: a COPY of
-- an import's doses ran the plpgsql function and its INSERT ... ON CONFLICT for every row. The
-- inserts are now marked by one statement-level trigger that reads the statement's new rows
-- (a transition table) and marks each child once, in the writing transaction as before; this
-- holds for every writer (a single INSERT is a statement of one row). Updates and deletes keep
-- the row trigger (they mark the old and the new child).
--
-- `coverage_mark_deferred` is SQLite's switch for its bulk paths (a trigger there is per row
-- only); PostgreSQL never fills it, and has it so that both schemas hold the same tables
-- (`weijian migrate` copies every table).
CREATE TABLE coverage_mark_deferred (
  one INTEGER PRIMARY KEY CHECK (one = 1)
);

DROP TRIGGER coverage_mark_dose ON immunization_dose;
CREATE TRIGGER coverage_mark_dose AFTER UPDATE OR DELETE ON immunization_dose
  FOR EACH ROW EXECUTE FUNCTION coverage_mark_of_child();

CREATE FUNCTION coverage_mark_new_doses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO coverage_change(tracked_entity_id, seq, xact)
    SELECT te, nextval('coverage_change_seq'), pg_current_xact_id()::text::bigint
      FROM (SELECT DISTINCT tracked_entity_id AS te FROM new_doses ORDER BY 1) AS children
    ON CONFLICT (tracked_entity_id) DO UPDATE SET seq = excluded.seq, xact = excluded.xact;
  RETURN NULL;
END
$$;
CREATE TRIGGER coverage_mark_dose_insert AFTER INSERT ON immunization_dose
  REFERENCING NEW TABLE AS new_doses
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_new_doses();
