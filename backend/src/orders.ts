/** The orders domain: the API's order schemas and the SQL behind them. */
import type { Pool } from "pg";
import { z } from "zod";

// Request schemas: Fastify validates requests with them and the OpenAPI document is generated
// from them (backend/openapi.json), so what is checked is what is published. `examples` feed the
// release smoke test, which builds its requests from the document.
export const createOrderSchema = z
  .object({
    customerId: z.string().min(1).max(128).meta({ description: "The customer placing the order.", examples: ["c-1001"] }),
    amountCents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).meta({ description: "Amount in the currency's minor unit.", examples: [1299] }),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "expected an ISO 4217 code such as EUR")
      .meta({ description: "ISO 4217 currency code.", examples: ["EUR"] }),
  })
  .meta({ id: "CreateOrder", description: "A new order." });
export const updateStatusSchema = z
  .object({ status: z.string().min(1).max(32).meta({ description: "A status code from order_statuses; final statuses cannot be left.", examples: ["paid"] }) })
  .meta({ id: "UpdateOrderStatus", description: "The status to move the order to." });
export const listQuerySchema = z.object({
  customerId: z.string().min(1).max(128).optional().meta({ description: "Only this customer's orders." }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: "Page size." }),
  /** Keyset cursor: the id of the last order of the previous page. */
  before: z.coerce.number().int().min(1).optional().meta({ description: "Keyset cursor: `nextBefore` of the previous page." }),
});

export const orderSchema = z
  .object({
    id: z.string().regex(/^[1-9][0-9]*$/).meta({ description: "Order id (a decimal number, as a string)." }),
    customerId: z.string(),
    amountCents: z.number().int().min(0),
    currency: z.string().regex(/^[A-Z]{3}$/),
    status: z.string().meta({ description: "Current status code." }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Order", description: "An order." });
export type Order = z.infer<typeof orderSchema>;

export const orderPageSchema = z
  .object({
    orders: z.array(orderSchema).meta({ description: "Newest first." }),
    nextBefore: z.string().nullable().meta({ description: "Pass as `before` for the next page; null on the last page." }),
  })
  .meta({ id: "OrderPage", description: "A page of orders." });

interface OrderRow {
  id: string;
  customer_id: string;
  amount_cents: string;
  currency: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = "id, customer_id, amount_cents, currency, status, created_at, updated_at";

function toOrder(r: OrderRow): Order {
  return {
    id: String(r.id),
    customerId: r.customer_id,
    amountCents: Number(r.amount_cents),
    currency: r.currency,
    status: r.status,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** A domain rule was broken: HTTP status and message for the client. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class OrdersRepository {
  constructor(private readonly pool: Pool) {}

  /** Creates an order; with an idempotency key, a retry returns the first order (created=false). */
  async create(input: z.infer<typeof createOrderSchema>, idempotencyKey?: string): Promise<{ order: Order; created: boolean }> {
    const res = await this.pool.query<OrderRow>(
      `INSERT INTO orders (customer_id, amount_cents, currency, idempotency_key) VALUES ($1, $2, $3, $4)
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${COLUMNS}`,
      [input.customerId, input.amountCents, input.currency, idempotencyKey ?? null],
    );
    const row = res.rows[0];
    if (row) return { order: toOrder(row), created: true };
    const existing = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE idempotency_key = $1`, [idempotencyKey]);
    const first = existing.rows[0];
    if (!first) throw new DomainError(409, "idempotency key conflict, retry the request");
    return { order: toOrder(first), created: false };
  }

  async get(id: number): Promise<Order | null> {
    const res = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
    return res.rows[0] ? toOrder(res.rows[0]) : null;
  }

  async list(query: z.infer<typeof listQuerySchema>): Promise<z.infer<typeof orderPageSchema>> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (query.customerId) {
      params.push(query.customerId);
      where.push(`customer_id = $${params.length}`);
    }
    if (query.before) {
      params.push(query.before);
      where.push(`id < $${params.length}`);
    }
    params.push(query.limit);
    const sql = `SELECT ${COLUMNS} FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT $${params.length}`;
    const res = await this.pool.query<OrderRow>(sql, params);
    const orders = res.rows.map(toOrder);
    return { orders, nextBefore: orders.length === query.limit ? (orders.at(-1)?.id ?? null) : null };
  }

  /** Moves an order to another status; terminal statuses are final. */
  async updateStatus(id: number, status: string): Promise<Order> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const target = await client.query<{ terminal: boolean }>("SELECT terminal FROM order_statuses WHERE code = $1", [status]);
      if (!target.rows[0]) throw new DomainError(422, `unknown status "${status}"`);
      const current = await client.query<{ status: string; terminal: boolean }>(
        "SELECT o.status, s.terminal FROM orders o JOIN order_statuses s ON s.code = o.status WHERE o.id = $1 FOR UPDATE OF o",
        [id],
      );
      const row = current.rows[0];
      if (!row) throw new DomainError(404, `order ${id} not found`);
      if (row.terminal && row.status !== status) throw new DomainError(409, `order ${id} is ${row.status}, a final status`);
      const updated = await client.query<OrderRow>(`UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id, status]);
      await client.query("COMMIT");
      return toOrder(updated.rows[0] as OrderRow);
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
