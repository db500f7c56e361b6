-- The due index of each child (issue 17; SQLite migration 0027): the first day one of his open
-- doses can be given, the last day one can still be caught up, and the day from which both hold
-- (the later of birth and last dose). '' / '9999-12-31' / '' is "not known" (always read).
ALTER TABLE tracked_entity ADD COLUMN due_next TEXT NOT NULL DEFAULT '';
ALTER TABLE tracked_entity ADD COLUMN due_until TEXT NOT NULL DEFAULT '9999-12-31';
ALTER TABLE tracked_entity ADD COLUMN due_basis TEXT NOT NULL DEFAULT '';
CREATE INDEX tracked_entity_due ON tracked_entity(org_unit_id, due_next, due_until);
CREATE INDEX tracked_entity_due_basis ON tracked_entity(org_unit_id, due_basis);
-- The records still to index (`weijian tracker reindex`; `serve` says when there are any).
CREATE INDEX tracked_entity_unindexed ON tracked_entity(id) WHERE due_next = '';
