-- Orders and their reference table of statuses (rows come from seeds/).
-- Up Migration
CREATE TABLE order_statuses (
  code text PRIMARY KEY,
  description text NOT NULL,
  terminal boolean NOT NULL DEFAULT false,
  position bigint NOT NULL
);

CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id text NOT NULL,
  amount_cents bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL DEFAULT 'pending' REFERENCES order_statuses (code),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
-- squawk-ignore ban-drop-table
DROP TABLE orders;
-- squawk-ignore ban-drop-table
DROP TABLE order_statuses;
