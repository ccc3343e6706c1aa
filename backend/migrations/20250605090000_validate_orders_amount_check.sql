-- Step 2 of 2: VALIDATE scans the table under SHARE UPDATE EXCLUSIVE, which lets reads and
-- writes continue.
-- Up Migration
ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_cents_nonnegative;
ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_iso4217;

-- Down Migration
-- Nothing to undo: a validated constraint is dropped by the previous migration's down section.
