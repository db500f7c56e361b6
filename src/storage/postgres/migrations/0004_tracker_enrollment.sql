-- Tracker exchange (issue 17, item 8; SQLite migration 0024): a record's enrollment in the
-- immunization program, its uid and day, as DHIS2 clients send them. Records made before get a
-- uid derived from the record's ('E' and its last ten characters) and their creation day.
ALTER TABLE tracked_entity ADD COLUMN enrollment_uid TEXT;
ALTER TABLE tracked_entity ADD COLUMN enrolled_at TEXT;
UPDATE tracked_entity SET enrollment_uid = 'E' || substr(uid, 2),
                          enrolled_at = to_char(to_timestamp(created / 1000), 'YYYY-MM-DD');
CREATE INDEX tracked_entity_enrollment ON tracked_entity(enrollment_uid);
