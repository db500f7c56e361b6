-- Immunization records, part 3 (issue 17): holds, AEFI reports and vaccine stock.
--
-- A hold (禁忌 contraindication / 暂缓 deferral) keeps a vaccine (or every vaccine, '*') from a
-- child from one day, until a day or open-ended; the schedule engine shows the doses it covers
-- as 禁忌/暂缓 instead of due.
CREATE TABLE immunization_hold (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  tracked_entity_id INTEGER NOT NULL REFERENCES tracked_entity(id),
  vaccine TEXT NOT NULL,                                   -- catalogue code, or '*'
  kind TEXT NOT NULL CHECK (kind IN ('CONTRAINDICATION', 'DEFERRAL')),
  from_date TEXT NOT NULL,                                 -- YYYY-MM-DD
  until_date TEXT NOT NULL DEFAULT '',                     -- YYYY-MM-DD, '' open-ended
  reason TEXT NOT NULL,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),   -- the unit that recorded it
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX immunization_hold_person ON immunization_hold(tracked_entity_id, id);

-- An AEFI report (疑似预防接种异常反应) about one recorded dose.
CREATE TABLE immunization_aefi (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  dose_id INTEGER NOT NULL REFERENCES immunization_dose(id),
  tracked_entity_id INTEGER NOT NULL REFERENCES tracked_entity(id),
  onset_date TEXT NOT NULL,                                -- YYYY-MM-DD, not before the dose
  reported_on TEXT NOT NULL,                               -- YYYY-MM-DD
  symptoms TEXT NOT NULL,                                  -- 主要临床表现
  diagnosis TEXT NOT NULL DEFAULT '',                      -- 临床诊断
  serious INTEGER NOT NULL DEFAULT 0,                      -- 1: 严重 (hospitalised, disabled, died)
  outcome TEXT NOT NULL DEFAULT 'UNKNOWN'
    CHECK (outcome IN ('RECOVERED', 'IMPROVING', 'NOT_RECOVERED', 'SEQUELAE', 'DIED', 'UNKNOWN')),
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),   -- the reporting unit
  reporter TEXT NOT NULL DEFAULT '',
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX immunization_aefi_dose ON immunization_aefi(dose_id);
CREATE INDEX immunization_aefi_person ON immunization_aefi(tracked_entity_id, id);

-- Vaccine stock per unit and lot: the balance is kept on the lot row and every change is a row of
-- vaccine_stock_movement (入库 RECEIPT, 出库 ISSUE, 报损 LOSS, a recorded dose DOSE), written in
-- the same transaction, so the ledger always sums to the balance.
CREATE TABLE vaccine_lot (
  id INTEGER PRIMARY KEY,
  org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
  vaccine TEXT NOT NULL,
  lot TEXT NOT NULL,
  manufacturer TEXT NOT NULL DEFAULT '',
  expiry TEXT NOT NULL,                                    -- YYYY-MM-DD, the last usable day
  balance INTEGER NOT NULL CHECK (balance >= 0),
  first_received TEXT NOT NULL,                            -- YYYY-MM-DD
  UNIQUE (org_unit_id, vaccine, lot)
);
CREATE INDEX vaccine_lot_expiry ON vaccine_lot(org_unit_id, expiry);

CREATE TABLE vaccine_stock_movement (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  lot_id INTEGER NOT NULL REFERENCES vaccine_lot(id),
  kind TEXT NOT NULL CHECK (kind IN ('RECEIPT', 'ISSUE', 'LOSS', 'DOSE')),
  quantity INTEGER NOT NULL,                               -- signed: + in, - out
  moved_on TEXT NOT NULL,                                  -- YYYY-MM-DD
  counterpart TEXT NOT NULL DEFAULT '',                    -- 来源 / 去向
  reason TEXT NOT NULL DEFAULT '',                         -- 报损原因
  dose_id INTEGER REFERENCES immunization_dose(id),
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX vaccine_stock_movement_lot ON vaccine_stock_movement(lot_id, id);
