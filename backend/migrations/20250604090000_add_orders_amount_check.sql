-- Step 1 of 2: the constraint applies to new rows at once; existing rows are checked by the
-- next migration, in its own transaction, without blocking writes.
-- Up Migration
ALTER TABLE orders ADD CONSTRAINT orders_amount_cents_nonnegative CHECK (amount_cents >= 0) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT orders_currency_iso4217 CHECK (currency ~ '^[A-Z]{3}$') NOT VALID;

-- Down Migration
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_currency_iso4217;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_amount_cents_nonnegative;
