-- Reference data: the order lifecycle. Idempotent (upsert), so re-running it is harmless.
-- Up Migration
INSERT INTO order_statuses (code, description, terminal, position) VALUES
  ('pending', 'Created, awaiting payment', false, 10),
  ('paid', 'Payment captured', false, 20),
  ('shipped', 'Handed to the carrier', false, 30),
  ('delivered', 'Delivered to the customer', true, 40),
  ('cancelled', 'Cancelled before shipping', true, 50)
ON CONFLICT (code) DO UPDATE SET description = EXCLUDED.description, terminal = EXCLUDED.terminal, position = EXCLUDED.position;

-- Down Migration
DELETE FROM order_statuses WHERE code IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled') AND NOT EXISTS (SELECT 1 FROM orders WHERE orders.status = order_statuses.code);
