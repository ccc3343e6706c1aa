-- migrate:no-transaction
-- CREATE INDEX CONCURRENTLY cannot run in a transaction. Each index is dropped first (if a
-- previous attempt was killed it left an INVALID index behind), and the down section is
-- idempotent because the runner also uses it to clean up after a failed attempt.
-- Up Migration
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_id_created_at_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_created_at_idx ON orders (customer_id, created_at DESC, id DESC);
DROP INDEX CONCURRENTLY IF EXISTS orders_idempotency_key_key;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_idempotency_key_key ON orders (idempotency_key);

-- Down Migration
DROP INDEX CONCURRENTLY IF EXISTS orders_idempotency_key_key;
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_id_created_at_idx;
