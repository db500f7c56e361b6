-- Immunization records, part 6 (issue 17, Performance): the due index of each child.
--
-- A due list (应种名单) for a window [from, to] reads only the children that can be on it: the
-- store keeps, per child, the first day one of his open doses can be given (due_next) and the
-- last day one of them can still be caught up (due_until), both as the schedule engine computes
-- them from his birth date and doses (tracker::DueIndexOf); and the day from which they hold
-- (due_basis: the later of his birth and his last dose; a window before it reads him anyway).
-- Every write that changes a child's doses or birth date recomputes them in its transaction.
-- '' / '9999-12-31' / '' is "not known": such a child is always read (rows written before this
-- migration, until `weijian tracker reindex`).
ALTER TABLE tracked_entity ADD COLUMN due_next TEXT NOT NULL DEFAULT '';
ALTER TABLE tracked_entity ADD COLUMN due_until TEXT NOT NULL DEFAULT '9999-12-31';
ALTER TABLE tracked_entity ADD COLUMN due_basis TEXT NOT NULL DEFAULT '';
CREATE INDEX tracked_entity_due ON tracked_entity(org_unit_id, due_next, due_until);
CREATE INDEX tracked_entity_due_basis ON tracked_entity(org_unit_id, due_basis);
-- The records still to index (`weijian tracker reindex`; `serve` says when there are any).
CREATE INDEX tracked_entity_unindexed ON tracked_entity(id) WHERE due_next = '';
