-- Federation (issue 16 item 6): a county instance pushes approved aggregates to the instance
-- above over that instance's own /api/dataValueSets; the instance above records every batch by
-- source and approval stamp.
--
-- The lower side. A target: where to push which data sets, aggregated to which org unit level.
-- The API token is NOT stored here: `token_file` names a file (mode 0600, owned by the operator)
-- that is read at each push, so the secret stays out of the database, its backups and copies.
CREATE TABLE fed_target (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL,                 -- the upper instance's base address (http://host:port)
  token_file TEXT NOT NULL,
  data_sets TEXT NOT NULL,           -- space-separated data set uids
  level INTEGER NOT NULL DEFAULT 0,  -- org unit level to aggregate to; 0: the values' own units
  format TEXT NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'adx')),
  source TEXT NOT NULL,              -- this instance's name at the upper side (X-Federation-Source)
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
-- The outbox: one row per batch decided (data set × approved unit × workflow period × approval
-- stamp, a push or a retraction). A row is written in the same transaction as the decision and
-- becomes SENT only after the upper side's 2xx; PENDING rows are sent (again) by the next push,
-- so a push killed half-way resumes with no gap, and the upper side's stamp check makes a batch
-- sent twice change nothing (no duplicate).
CREATE TABLE fed_outbox (
  id INTEGER PRIMARY KEY,
  target_id INTEGER NOT NULL REFERENCES fed_target(id),
  kind TEXT NOT NULL CHECK (kind IN ('PUSH', 'RETRACT')),
  data_set_uid TEXT NOT NULL,
  workflow_uid TEXT NOT NULL,
  period TEXT NOT NULL,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  stamp INTEGER NOT NULL,            -- the approval's time (ms): the batch's version
  state TEXT NOT NULL CHECK (state IN ('PENDING', 'SENT', 'REFUSED', 'SUPERSEDED')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  conflicts TEXT NOT NULL DEFAULT '',  -- the upper side's import summary (JSON) of a refusal
  value_count INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fed_outbox_key ON fed_outbox(target_id, data_set_uid, period, org_unit_id, id);
CREATE INDEX fed_outbox_state ON fed_outbox(state, target_id, id);

-- The upper side. The current state of each batch key of each source (the pushing user and its
-- X-Federation-Source): the newest stamp applied, and whether it stands or was retracted.
CREATE TABLE fed_batch (
  source TEXT NOT NULL,
  data_set_uid TEXT NOT NULL,
  period TEXT NOT NULL,
  org_unit_uid TEXT NOT NULL,
  stamp INTEGER NOT NULL,
  action TEXT NOT NULL,              -- PUSH or RETRACT
  received INTEGER NOT NULL,
  PRIMARY KEY (source, data_set_uid, period, org_unit_uid)
);
-- Every batch received, with what became of it: APPLIED, UNCHANGED (same stamp again),
-- SUPERSEDED (older than the one standing), REFUSED (conflicts kept for the workbench).
CREATE TABLE fed_receipt (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  username TEXT NOT NULL,
  data_set_uid TEXT NOT NULL,
  period TEXT NOT NULL,
  org_unit_uid TEXT NOT NULL,
  stamp INTEGER NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  import_id TEXT NOT NULL DEFAULT '',
  value_count INTEGER NOT NULL DEFAULT 0,
  conflicts TEXT NOT NULL DEFAULT '',
  received INTEGER NOT NULL
);
CREATE INDEX fed_receipt_key ON fed_receipt(source, data_set_uid, period, org_unit_uid);
CREATE INDEX fed_receipt_received ON fed_receipt(received);

-- Scheduled work run once across servers on one database (federation pushes): a lease per job,
-- taken with a conditional UPDATE, so two servers never run the same job at once.
CREATE TABLE job_lease (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires INTEGER NOT NULL
);
