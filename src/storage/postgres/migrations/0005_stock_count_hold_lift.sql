-- 盘点 and holds lifted early (issue 17; SQLite migration 0025): ADJUST movements in the ledger,
-- and the day a hold was lifted, by whom and why ('' while it stands).
ALTER TABLE vaccine_stock_movement DROP CONSTRAINT vaccine_stock_movement_kind_check;
ALTER TABLE vaccine_stock_movement ADD CONSTRAINT vaccine_stock_movement_kind_check
  CHECK (kind IN ('RECEIPT', 'ISSUE', 'LOSS', 'DOSE', 'ADJUST'));
ALTER TABLE immunization_hold ADD COLUMN lifted_on TEXT NOT NULL DEFAULT '';
ALTER TABLE immunization_hold ADD COLUMN lifted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE immunization_hold ADD COLUMN lift_reason TEXT NOT NULL DEFAULT '';
