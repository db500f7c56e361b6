-- Individual records (the tracker), starting with immunization.
--
-- A person's identifying fields (name, ID number, birth certificate number, guardians and their
-- phones, address) are sealed by the tracker layer (libsodium secretbox, a key file outside this
-- database) before they reach the store; the store keeps only the sealed text, the id of the key
-- that sealed it, and blind indexes (keyed hashes) to find a person by ID number or by name and
-- birth date. Birth date and sex stay in clear: due lists and coverage need them for every child
-- of a unit, and neither names anyone.
CREATE TABLE tracked_entity (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),  -- the 接种单位 that manages the record
  birth_date TEXT NOT NULL,                               -- YYYY-MM-DD
  sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  status TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'TRANSFERRED_OUT')),
  sealed TEXT NOT NULL,
  key_id TEXT NOT NULL,
  id_index TEXT,                                          -- NULL without an ID number
  name_birth_index TEXT NOT NULL,
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX tracked_entity_id_index ON tracked_entity(id_index);
CREATE INDEX tracked_entity_name_birth ON tracked_entity(name_birth_index);
CREATE INDEX tracked_entity_unit ON tracked_entity(org_unit_id, birth_date);

CREATE TABLE immunization_dose (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  tracked_entity_id INTEGER NOT NULL REFERENCES tracked_entity(id),
  vaccine TEXT NOT NULL,
  given_on TEXT NOT NULL,                                 -- YYYY-MM-DD
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),  -- where it was given
  vaccinator TEXT NOT NULL DEFAULT '',
  site TEXT NOT NULL DEFAULT '',
  route TEXT NOT NULL DEFAULT '',
  lot TEXT NOT NULL DEFAULT '',
  manufacturer TEXT NOT NULL DEFAULT '',
  lot_expiry TEXT NOT NULL DEFAULT '',
  trace_code TEXT NOT NULL DEFAULT '',                    -- the 20-digit 疫苗追溯码 when scanned
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX immunization_dose_person ON immunization_dose(tracked_entity_id, given_on);
CREATE INDEX immunization_dose_unit ON immunization_dose(org_unit_id, given_on);
