-- Immunization records, part 2 (issue 17): the village a child lives in, and transfers.
--
-- village_id: the village (嘎查/村, usually a level-5 unit under the managing 接种单位) the child
-- lives in, so due lists can be split per village; NULL when the address is only text.
-- A transfer (迁入/迁出) moves the record to another managing unit, or out of the system (the
-- record stays with its last unit, status TRANSFERRED_OUT), or back in; every one is kept here,
-- so a record's history tells where it was managed on any day.
ALTER TABLE tracked_entity ADD COLUMN village_id INTEGER REFERENCES org_unit(id);

CREATE TABLE tracked_entity_transfer (
  id INTEGER PRIMARY KEY,
  tracked_entity_id INTEGER NOT NULL REFERENCES tracked_entity(id),
  direction TEXT NOT NULL CHECK (direction IN ('OUT', 'IN', 'MOVE')),
  from_org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  to_org_unit_id INTEGER REFERENCES org_unit(id),          -- NULL: out of the system
  destination TEXT NOT NULL DEFAULT '',                     -- where to/from, as text
  transferred_on TEXT NOT NULL,                             -- YYYY-MM-DD
  reason TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX tracked_entity_transfer_person ON tracked_entity_transfer(tracked_entity_id, id);
