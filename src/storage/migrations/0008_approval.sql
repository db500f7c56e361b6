-- 上报 → 审核/退回, open and closed periods, targets assigned from above, lock exceptions and
-- in-app messages (issue 11). Metadata here refers to data sets and elements by uid, like the
-- rest of metadata in memory; data rows (approvals, returns, exceptions) by period identifier
-- and org unit id.

CREATE TABLE data_approval_level (
  uid            TEXT PRIMARY KEY,
  code           TEXT UNIQUE,
  name           TEXT NOT NULL,
  org_unit_level INTEGER NOT NULL CHECK (org_unit_level >= 1)
);
CREATE TABLE data_approval_workflow (
  uid         TEXT PRIMARY KEY,
  code        TEXT UNIQUE,
  name        TEXT NOT NULL,
  period_type TEXT NOT NULL,
  level_uids  TEXT NOT NULL  -- space-separated uids of data_approval_level
);
-- Per data set: its approval workflow and its data input periods (JSON array of
-- {"period","openingDate","closingDate"}).
CREATE TABLE data_set_control (
  data_set_uid       TEXT PRIMARY KEY,
  workflow_uid       TEXT NOT NULL DEFAULT '',
  data_input_periods TEXT NOT NULL DEFAULT '[]'
);
-- A data element set from above: units below org unit level `assigned_level` read, never write.
CREATE TABLE data_element_control (
  data_element_uid TEXT PRIMARY KEY,
  assigned_level   INTEGER NOT NULL CHECK (assigned_level >= 1)
);

CREATE TABLE data_approval (
  workflow_uid TEXT NOT NULL,
  period       TEXT NOT NULL,
  org_unit_id  INTEGER NOT NULL REFERENCES org_unit(id),
  level_uid    TEXT NOT NULL,
  accepted     INTEGER NOT NULL DEFAULT 0,
  created_by   TEXT NOT NULL,
  created      INTEGER NOT NULL,
  accepted_by  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (workflow_uid, period, org_unit_id)
) WITHOUT ROWID;
-- The latest 退回 of a unit's forms, with its reason; it stands until the forms are completed again.
CREATE TABLE data_return (
  workflow_uid TEXT NOT NULL,
  period       TEXT NOT NULL,
  org_unit_id  INTEGER NOT NULL REFERENCES org_unit(id),
  reason       TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created      INTEGER NOT NULL,
  PRIMARY KEY (workflow_uid, period, org_unit_id)
) WITHOUT ROWID;
CREATE TABLE lock_exception (
  data_set_uid TEXT NOT NULL,
  period       TEXT NOT NULL,
  org_unit_id  INTEGER NOT NULL REFERENCES org_unit(id),
  created_by   TEXT NOT NULL,
  created      INTEGER NOT NULL,
  PRIMARY KEY (data_set_uid, period, org_unit_id)
) WITHOUT ROWID;

CREATE TABLE message (
  id                INTEGER PRIMARY KEY,
  uid               TEXT NOT NULL UNIQUE,
  subject           TEXT NOT NULL,
  text              TEXT NOT NULL,
  sender            TEXT NOT NULL,
  recipient_user_id INTEGER NOT NULL REFERENCES app_user(id),
  created           INTEGER NOT NULL,
  read              INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX message_recipient ON message(recipient_user_id, created);
