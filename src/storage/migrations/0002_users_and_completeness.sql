-- Users with roles and org-unit assignments, and "mark complete" for data set forms.

CREATE TABLE app_user (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  username      TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created       INTEGER NOT NULL,
  last_updated  INTEGER NOT NULL
);
CREATE TABLE app_user_role (
  user_id INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  role    TEXT NOT NULL
    CHECK (role IN ('superuser', 'admin', 'approver', 'entry', 'viewer', 'editor')),
  PRIMARY KEY (user_id, role)
);
-- kind 'capture': units the user enters data for; 'view': units whose data the user may read.
CREATE TABLE app_user_org_unit (
  user_id     INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  kind        TEXT NOT NULL CHECK (kind IN ('capture', 'view')),
  PRIMARY KEY (user_id, org_unit_id, kind)
);

CREATE TABLE complete_registration (
  data_set_id  INTEGER NOT NULL REFERENCES data_set(id),
  period_id    INTEGER NOT NULL REFERENCES period(id),
  org_unit_id  INTEGER NOT NULL REFERENCES org_unit(id),
  aoc_id       INTEGER NOT NULL REFERENCES category_option_combo(id),
  completed_by TEXT NOT NULL,
  created      INTEGER NOT NULL,
  PRIMARY KEY (data_set_id, period_id, org_unit_id, aoc_id)
) WITHOUT ROWID;
