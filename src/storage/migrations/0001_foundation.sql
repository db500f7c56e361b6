-- Org units, metadata, periods and data values: the foundation of every later feature.
-- Ids are SQLite rowids used inside this file only; uids and codes are what leaves it.

CREATE TABLE org_unit (
  id            INTEGER PRIMARY KEY,
  uid           TEXT NOT NULL UNIQUE,
  code          TEXT UNIQUE,
  name          TEXT NOT NULL,
  short_name    TEXT NOT NULL,
  level         INTEGER NOT NULL CHECK (level >= 1),
  parent_id     INTEGER REFERENCES org_unit(id),
  path          TEXT NOT NULL,
  facility_type TEXT NOT NULL DEFAULT '',
  opening_date  TEXT NOT NULL DEFAULT '',
  created       INTEGER NOT NULL,
  last_updated  INTEGER NOT NULL
);
CREATE INDEX org_unit_parent ON org_unit(parent_id);
CREATE INDEX org_unit_level ON org_unit(level);

CREATE TABLE category_option (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  short_name TEXT NOT NULL
);
CREATE TABLE category (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  data_dimension_type TEXT NOT NULL CHECK (data_dimension_type IN ('DISAGGREGATION', 'ATTRIBUTE'))
);
CREATE TABLE category_category_option (
  category_id INTEGER NOT NULL REFERENCES category(id) ON DELETE CASCADE,
  option_id   INTEGER NOT NULL REFERENCES category_option(id),
  sort_order  INTEGER NOT NULL,
  PRIMARY KEY (category_id, option_id)
);
CREATE TABLE category_combo (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  data_dimension_type TEXT NOT NULL CHECK (data_dimension_type IN ('DISAGGREGATION', 'ATTRIBUTE'))
);
CREATE TABLE category_combo_category (
  combo_id    INTEGER NOT NULL REFERENCES category_combo(id) ON DELETE CASCADE,
  category_id INTEGER NOT NULL REFERENCES category(id),
  sort_order  INTEGER NOT NULL,
  PRIMARY KEY (combo_id, category_id)
);
CREATE TABLE category_option_combo (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  combo_id INTEGER NOT NULL REFERENCES category_combo(id)
);
CREATE TABLE category_option_combo_option (
  coc_id    INTEGER NOT NULL REFERENCES category_option_combo(id) ON DELETE CASCADE,
  option_id INTEGER NOT NULL REFERENCES category_option(id),
  PRIMARY KEY (coc_id, option_id)
);
CREATE TABLE data_element (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  short_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  value_type TEXT NOT NULL, aggregation_type TEXT NOT NULL, domain_type TEXT NOT NULL,
  category_combo_id INTEGER NOT NULL REFERENCES category_combo(id),
  zero_is_significant INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE data_set (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  short_name TEXT NOT NULL, period_type TEXT NOT NULL,
  category_combo_id INTEGER NOT NULL REFERENCES category_combo(id),
  open_future_periods INTEGER NOT NULL DEFAULT 0,
  expiry_days INTEGER NOT NULL DEFAULT 0,
  timely_days INTEGER NOT NULL DEFAULT 15
);
CREATE TABLE data_set_element (
  data_set_id     INTEGER NOT NULL REFERENCES data_set(id) ON DELETE CASCADE,
  data_element_id INTEGER NOT NULL REFERENCES data_element(id),
  combo_id        INTEGER REFERENCES category_combo(id),
  sort_order      INTEGER NOT NULL,
  PRIMARY KEY (data_set_id, data_element_id)
);
CREATE TABLE data_set_org_unit (
  data_set_id INTEGER NOT NULL REFERENCES data_set(id) ON DELETE CASCADE,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  PRIMARY KEY (data_set_id, org_unit_id)
);
CREATE INDEX data_set_org_unit_ou ON data_set_org_unit(org_unit_id);
CREATE TABLE indicator_type (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  factor INTEGER NOT NULL, number INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE indicator (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  short_name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
  indicator_type_id INTEGER NOT NULL REFERENCES indicator_type(id),
  numerator TEXT NOT NULL, numerator_description TEXT NOT NULL DEFAULT '',
  denominator TEXT NOT NULL, denominator_description TEXT NOT NULL DEFAULT '',
  decimals INTEGER
);
CREATE TABLE org_unit_group (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  short_name TEXT NOT NULL
);
CREATE TABLE org_unit_group_member (
  group_id    INTEGER NOT NULL REFERENCES org_unit_group(id) ON DELETE CASCADE,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  PRIMARY KEY (group_id, org_unit_id)
);
CREATE TABLE constant (
  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, code TEXT UNIQUE, name TEXT NOT NULL,
  value REAL NOT NULL
);

CREATE TABLE period (
  id          INTEGER PRIMARY KEY,
  iso         TEXT NOT NULL UNIQUE,
  period_type TEXT NOT NULL,
  start_date  TEXT NOT NULL,
  end_date    TEXT NOT NULL
);

-- One row per (element, period, unit, disaggregation, attribute). Deleted values stay, flagged,
-- so that their history and a later "undelete" by re-entry keep working. The key starts with
-- the unit and period: a form, an export and a subtree scan read one contiguous run, and no
-- second index has to be kept up to date on every insert.
CREATE TABLE data_value (
  data_element_id INTEGER NOT NULL REFERENCES data_element(id),
  period_id       INTEGER NOT NULL REFERENCES period(id),
  org_unit_id     INTEGER NOT NULL REFERENCES org_unit(id),
  coc_id          INTEGER NOT NULL REFERENCES category_option_combo(id),
  aoc_id          INTEGER NOT NULL REFERENCES category_option_combo(id),
  value           TEXT NOT NULL,
  comment         TEXT NOT NULL DEFAULT '',
  followup        INTEGER NOT NULL DEFAULT 0,
  stored_by       TEXT NOT NULL,
  created         INTEGER NOT NULL,
  last_updated    INTEGER NOT NULL,
  deleted         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (org_unit_id, period_id, data_element_id, coc_id, aoc_id)
) WITHOUT ROWID;

-- Append-only history of every data value change.
CREATE TABLE data_value_audit (
  id              INTEGER PRIMARY KEY,
  data_element_id INTEGER NOT NULL,
  period_id       INTEGER NOT NULL,
  org_unit_id     INTEGER NOT NULL,
  coc_id          INTEGER NOT NULL,
  aoc_id          INTEGER NOT NULL,
  audit_type      TEXT NOT NULL CHECK (audit_type IN ('CREATE', 'UPDATE', 'DELETE')),
  previous_value  TEXT,
  value           TEXT,
  modified_by     TEXT NOT NULL,
  created         INTEGER NOT NULL
);
CREATE INDEX data_value_audit_key
  ON data_value_audit(data_element_id, period_id, org_unit_id, coc_id, aoc_id);
