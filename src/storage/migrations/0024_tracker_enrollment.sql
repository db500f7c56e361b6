-- Tracker exchange (issue 17, item 8): a record's enrollment in the immunization program.
--
-- DHIS2 clients address an enrollment by its own uid (events point at it) and send the day the
-- child was enrolled; both are kept so that an export names the same enrollment a client sent.
-- Records made before this migration get a uid derived from the record's ('E' and the record
-- uid's last ten characters) and their creation day.
ALTER TABLE tracked_entity ADD COLUMN enrollment_uid TEXT;
ALTER TABLE tracked_entity ADD COLUMN enrolled_at TEXT;
UPDATE tracked_entity SET enrollment_uid = 'E' || substr(uid, 2),
                          enrolled_at = date(created / 1000, 'unixepoch');
CREATE INDEX tracked_entity_enrollment ON tracked_entity(enrollment_uid);
