-- Expand: a nullable column without a default is a catalog-only change (ACCESS EXCLUSIVE, brief).
-- Clients may send an Idempotency-Key header; older builds simply ignore the column.
-- Up Migration
ALTER TABLE orders ADD COLUMN idempotency_key text;

-- Down Migration
-- Contract step of a rollback: only the build that introduced the column writes it.
-- squawk-ignore ban-drop-column
ALTER TABLE orders DROP COLUMN idempotency_key;
