-- One coverage mark statement per statement of inserted children (issue 17, Performance), as
-- migration 0010 did for doses. The tracker import inserts its new children 500 a statement
-- (bench/README.md "Tracker import", session 30); migration 0008's row trigger ran the plpgsql
-- function and its INSERT ... ON CONFLICT once a child (20 µs of PostgreSQL's time each). The
-- statement's new rows (a transition table) are marked at once, in the writing transaction as
-- before, for every writer (a child registered by hand is a statement of one row). Deletes keep
-- the row trigger; updates keep theirs (coverage_mark_person_update).
DROP TRIGGER coverage_mark_person_insert ON tracked_entity;
CREATE TRIGGER coverage_mark_person_delete AFTER DELETE ON tracked_entity
  FOR EACH ROW EXECUTE FUNCTION coverage_mark_person();

CREATE FUNCTION coverage_mark_new_children() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO coverage_change(tracked_entity_id, seq, xact)
    SELECT id, nextval('coverage_change_seq'), pg_current_xact_id()::text::bigint
      FROM (SELECT id FROM new_children ORDER BY 1) AS children
    ON CONFLICT (tracked_entity_id) DO UPDATE SET seq = excluded.seq, xact = excluded.xact;
  RETURN NULL;
END
$$;
CREATE TRIGGER coverage_mark_person_insert AFTER INSERT ON tracked_entity
  REFERENCING NEW TABLE AS new_children
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_new_children();
