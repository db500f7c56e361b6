-- Immunization coverage kept, not recomputed per query: the children whose coverage facts must be
-- computed again (SQLite migration 0028 says why). Marked by trigger in the writing transaction.
-- Across servers `seq` (from a sequence) does not follow the commit order, so a reader takes the
-- rows whose writing transaction `xact` (pg_current_xact_id) is at or above the oldest
-- transaction still running when it last read (its snapshot's xmin): nothing committed later
-- can carry an older `xact`.
CREATE SEQUENCE coverage_change_seq;
CREATE TABLE coverage_change (
  tracked_entity_id BIGINT PRIMARY KEY,
  seq BIGINT NOT NULL,
  xact BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX coverage_change_xact ON coverage_change(xact);

CREATE FUNCTION coverage_mark(te BIGINT) RETURNS void LANGUAGE sql AS $$
  INSERT INTO coverage_change(tracked_entity_id, seq, xact)
    VALUES (te, nextval('coverage_change_seq'), pg_current_xact_id()::text::bigint)
    ON CONFLICT (tracked_entity_id) DO UPDATE SET seq = excluded.seq, xact = excluded.xact
$$;
CREATE FUNCTION coverage_mark_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM coverage_mark(OLD.id);
  ELSE
    PERFORM coverage_mark(NEW.id);
  END IF;
  RETURN NULL;
END
$$;
CREATE FUNCTION coverage_mark_of_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM coverage_mark(OLD.tracked_entity_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM coverage_mark(NEW.tracked_entity_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER coverage_mark_person_insert AFTER INSERT OR DELETE ON tracked_entity
  FOR EACH ROW EXECUTE FUNCTION coverage_mark_person();
CREATE TRIGGER coverage_mark_person_update
  AFTER UPDATE OF org_unit_id, birth_date, status, created ON tracked_entity
  FOR EACH ROW EXECUTE FUNCTION coverage_mark_person();
CREATE TRIGGER coverage_mark_dose AFTER INSERT OR UPDATE OR DELETE ON immunization_dose
  FOR EACH ROW EXECUTE FUNCTION coverage_mark_of_child();
CREATE TRIGGER coverage_mark_hold AFTER INSERT OR UPDATE OR DELETE ON immunization_hold
  FOR EACH ROW EXECUTE FUNCTION coverage_mark_of_child();
