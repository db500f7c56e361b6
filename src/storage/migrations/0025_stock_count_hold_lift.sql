-- Immunization records, part 5 (issue 17): 盘点 and holds lifted early.
--
-- A stock count (盘点) records, per lot, the quantity counted; a difference from the balance is
-- an ADJUST movement (signed, with its reason) in the ledger, so the ledger still sums to the
-- balance. SQLite cannot change a CHECK in place: the movement table is made again with ADJUST
-- allowed, its rows and ids kept (nothing references it).
CREATE TABLE vaccine_stock_movement_v2 (
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  lot_id INTEGER NOT NULL REFERENCES vaccine_lot(id),
  kind TEXT NOT NULL CHECK (kind IN ('RECEIPT', 'ISSUE', 'LOSS', 'DOSE', 'ADJUST')),
  quantity INTEGER NOT NULL,                               -- signed: + in, - out
  moved_on TEXT NOT NULL,                                  -- YYYY-MM-DD
  counterpart TEXT NOT NULL DEFAULT '',                    -- 来源 / 去向
  reason TEXT NOT NULL DEFAULT '',                         -- 报损原因, 盘点差异原因
  dose_id INTEGER REFERENCES immunization_dose(id),
  created INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
INSERT INTO vaccine_stock_movement_v2(id, uid, lot_id, kind, quantity, moved_on, counterpart,
                                      reason, dose_id, created, created_by)
  SELECT id, uid, lot_id, kind, quantity, moved_on, counterpart, reason, dose_id, created,
         created_by FROM vaccine_stock_movement;
DROP TABLE vaccine_stock_movement;
ALTER TABLE vaccine_stock_movement_v2 RENAME TO vaccine_stock_movement;
CREATE INDEX vaccine_stock_movement_lot ON vaccine_stock_movement(lot_id, id);

-- A hold lifted before its end (解除禁忌/暂缓): from `lifted_on` the doses it covered are due
-- again; who lifted it and why. '' while the hold stands.
ALTER TABLE immunization_hold ADD COLUMN lifted_on TEXT NOT NULL DEFAULT '';
ALTER TABLE immunization_hold ADD COLUMN lifted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE immunization_hold ADD COLUMN lift_reason TEXT NOT NULL DEFAULT '';
