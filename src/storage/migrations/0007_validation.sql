-- Validation rules and their groups (metadata), compulsory cells of data sets, min-max bounds per
-- (data element, unit, option combo), and persisted validation results (DHIS2's shapes).
-- Metadata rows refer to one another by uid, as the rest of the metadata does in memory.

CREATE TABLE validation_rule (
  id                 INTEGER PRIMARY KEY,
  uid                TEXT NOT NULL UNIQUE,
  code               TEXT UNIQUE,
  name               TEXT NOT NULL,
  description        TEXT NOT NULL DEFAULT '',
  instruction        TEXT NOT NULL DEFAULT '',   -- the sentence a clerk reads when it fails
  importance         TEXT NOT NULL CHECK (importance IN ('HIGH', 'MEDIUM', 'LOW')),
  operator           TEXT NOT NULL,
  period_type        TEXT NOT NULL,
  left_expression    TEXT NOT NULL,
  left_description   TEXT NOT NULL DEFAULT '',
  left_strategy      TEXT NOT NULL,
  right_expression   TEXT NOT NULL,
  right_description  TEXT NOT NULL DEFAULT '',
  right_strategy     TEXT NOT NULL,
  org_unit_levels    TEXT NOT NULL DEFAULT ''     -- comma-separated levels; empty: every level
);

CREATE TABLE validation_rule_group (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE validation_rule_group_member (
  group_uid  TEXT NOT NULL REFERENCES validation_rule_group(uid) ON DELETE CASCADE,
  rule_uid   TEXT NOT NULL REFERENCES validation_rule(uid),
  sort_order INTEGER NOT NULL,
  PRIMARY KEY (group_uid, rule_uid)
);

-- DHIS2's compulsoryDataElementOperands: cells a form may not be submitted without.
CREATE TABLE data_set_compulsory_operand (
  data_set_uid     TEXT NOT NULL REFERENCES data_set(uid) ON DELETE CASCADE,
  data_element_uid TEXT NOT NULL REFERENCES data_element(uid),
  coc_uid          TEXT NOT NULL DEFAULT '',      -- empty: every option combo of the element
  sort_order       INTEGER NOT NULL,
  PRIMARY KEY (data_set_uid, data_element_uid, coc_uid)
);

CREATE TABLE min_max_data_element (
  data_element_id INTEGER NOT NULL REFERENCES data_element(id),
  org_unit_id     INTEGER NOT NULL REFERENCES org_unit(id),
  coc_id          INTEGER NOT NULL REFERENCES category_option_combo(id),
  min_value       REAL NOT NULL,
  max_value       REAL NOT NULL,
  generated       INTEGER NOT NULL,   -- 1: computed from history; 0: set by a person
  updated         INTEGER NOT NULL,
  updated_by      TEXT NOT NULL,
  PRIMARY KEY (org_unit_id, data_element_id, coc_id)
) WITHOUT ROWID;

CREATE TABLE validation_result (
  id          INTEGER PRIMARY KEY,
  rule_uid    TEXT NOT NULL,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  period_id   INTEGER NOT NULL REFERENCES period(id),
  aoc_id      INTEGER NOT NULL,
  left_value  REAL,
  right_value REAL,
  importance  TEXT NOT NULL,
  created     INTEGER NOT NULL,
  UNIQUE (rule_uid, org_unit_id, period_id, aoc_id)
);
CREATE INDEX validation_result_unit ON validation_result(org_unit_id, period_id);
