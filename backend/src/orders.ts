/** The orders domain: validation of API input and the SQL behind it. */
import type { Pool } from "pg";
import { z } from "zod";

export const createOrderSchema = z.object({
  customerId: z.string().min(1).max(128),
  amountCents: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/, "expected an ISO 4217 code such as EUR"),
});
export const updateStatusSchema = z.object({ status: z.string().min(1).max(32) });
export const listQuerySchema = z.object({
  customerId: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Keyset cursor: the id of the last order of the previous page. */
  before: z.coerce.number().int().min(1).optional(),
});

export interface Order {
  id: string;
  customerId: string;
  amountCents: number;
  currency: string;
  status: string;
  createdAt: string;
  updatedAt: string;
}

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

  async list(query: z.infer<typeof listQuerySchema>): Promise<{ orders: Order[]; nextBefore: string | null }> {
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
