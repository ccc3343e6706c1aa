/**
 * Contract smoke test: every operation of an OpenAPI 3.1 document called against a running
 * service, each response checked against what the document declares for its status (ajv, JSON
 * Schema 2020-12, formats). No list of endpoints is kept here: any service with a document gets
 * the same test by passing its document and base URL.
 *
 * Requests are built from the document: bodies and required parameters from `examples`,
 * `default`, `enum` or the schema's type and bounds; a path parameter from the same-named field
 * (or `id`) of an earlier response of its collection (`/orders` for `/orders/{id}`), which is
 * why creating operations run first. Where the document declares them, two probes per operation
 * check error responses too: an empty body (400) and an id that names nothing (404).
 */
import { randomUUID } from "node:crypto";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { OpenApiDocument } from "./api-diff";

export interface ContractCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ContractSmokeOptions {
  document: OpenApiDocument;
  baseUrl: string;
  /** Per request; default 5 s. */
  timeoutMs?: number;
}

const METHOD_ORDER = ["post", "put", "get", "patch", "delete", "options", "head", "trace"];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** JSON pointer token escaping (RFC 6901). */
const token = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

interface Op {
  method: string;
  path: string;
  op: Record<string, unknown>;
  params: Array<Record<string, unknown>>;
  pointer: string;
}

class RequestBuildError extends Error {}

function resolve(doc: OpenApiDocument, node: unknown, depth = 0): unknown {
  if (!isObject(node) || typeof node.$ref !== "string" || depth > 16) return node;
  let target: unknown = doc;
  for (const raw of node.$ref.replace(/^#\//, "").split("/")) target = isObject(target) ? target[raw.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  return resolve(doc, target, depth + 1);
}

function operations(doc: OpenApiDocument): Op[] {
  const out: Op[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = resolve(doc, rawItem) as Record<string, unknown>;
    for (const method of METHOD_ORDER) {
      const op = item[method];
      if (!isObject(op)) continue;
      const byKey = new Map<string, Record<string, unknown>>();
      for (const raw of [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const p = resolve(doc, raw);
        if (isObject(p)) byKey.set(`${String(p.in)}:${String(p.name)}`, p);
      }
      out.push({ method, path, op, params: [...byKey.values()], pointer: `#/paths/${token(path)}/${method}` });
    }
  }
  // Creating operations first, and collections before the items their responses name.
  const params = (p: string) => (p.match(/\{/g) ?? []).length;
  return out.sort((a, b) => params(a.path) - params(b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method) || a.path.localeCompare(b.path));
}

/** A value the schema accepts, preferring what the document's author gave as an example. */
function sample(doc: OpenApiDocument, raw: unknown, where: string, depth = 0): unknown {
  const s = resolve(doc, raw);
  if (!isObject(s) || depth > 12) return {};
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  for (const key of ["oneOf", "anyOf"]) {
    const variants = Array.isArray(s[key]) ? (s[key] as unknown[]) : [];
    const first = variants.find((v) => (resolve(doc, v) as Record<string, unknown>)?.type !== "null");
    if (first !== undefined) return sample(doc, first, where, depth + 1);
  }
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((v) => sample(doc, v, where, depth + 1)));
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") as string | undefined) : (s.type as string | undefined);
  switch (type ?? (isObject(s.properties) ? "object" : undefined)) {
    case "object": {
      const props = isObject(s.properties) ? s.properties : {};
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      return Object.fromEntries(Object.entries(props).filter(([k]) => required.has(k)).map(([k, v]) => [k, sample(doc, v, `${where}.${k}`, depth + 1)]));
    }
    case "array": {
      const n = typeof s.minItems === "number" ? s.minItems : 0;
      return Array.from({ length: n }, () => sample(doc, s.items, `${where}[]`, depth + 1));
    }
    case "integer":
    case "number": {
      const min = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum + 1 : 1;
      return type === "integer" ? Math.ceil(min) : min;
    }
    case "boolean":
      return true;
    case "null":
      return null;
    case "string": {
      if (s.format === "date-time") return new Date(0).toISOString();
      if (s.format === "date") return "1970-01-01";
      if (s.format === "uuid") return randomUUID();
      if (s.format === "email") return "smoke@example.com";
      if (s.format === "uri" || s.format === "url") return "https://example.com/smoke";
      const min = typeof s.minLength === "number" ? s.minLength : 1;
      const max = typeof s.maxLength === "number" ? s.maxLength : Math.max(min, 16);
      const value = "smoke".padEnd(min, "x").slice(0, max);
      if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) {
        throw new RequestBuildError(`cannot build a value for ${where}: it has a pattern (${s.pattern}) and no example; add \`examples\` to its schema`);
      }
      return value;
    }
    default:
      return {};
  }
}

/** The first value of `key` in a response body (searching nested objects and lists). */
function findValue(body: unknown, key: string, depth = 0): unknown {
  if (depth > 4) return undefined;
  if (Array.isArray(body)) {
    for (const item of body) {
      const v = findValue(item, key, depth + 1);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  if (!isObject(body)) return undefined;
  if (body[key] !== undefined && !isObject(body[key]) && !Array.isArray(body[key])) return body[key];
  for (const v of Object.values(body)) {
    const found = findValue(v, key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function explicitExample(doc: OpenApiDocument, p: Record<string, unknown>): unknown {
  if (p.example !== undefined) return p.example;
  if (isObject(p.examples)) {
    const first = resolve(doc, Object.values(p.examples)[0]);
    if (isObject(first) && first.value !== undefined) return first.value;
  }
  const s = resolve(doc, p.schema);
  if (isObject(s) && Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  return undefined;
}

interface Seen {
  path: string;
  body: unknown;
}

function pathValue(doc: OpenApiDocument, o: Op, p: Record<string, unknown>, seen: Seen[]): string {
  const name = String(p.name);
  const explicit = explicitExample(doc, p);
  if (explicit !== undefined) return String(explicit);
  const collection = o.path.slice(0, o.path.indexOf(`{${name}}`)).replace(/\/$/, "");
  for (const s of [...seen].reverse().filter((x) => x.path === collection)) {
    const v = findValue(s.body, name) ?? (/id$/i.test(name) ? findValue(s.body, "id") : undefined);
    if (v !== undefined) return String(v);
  }
  throw new RequestBuildError(`cannot build a request: no value for path parameter "${name}" (give it an example, or let an operation on ${collection || "/"} return a "${name}" or "id" field)`);
}

interface Built {
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function build(doc: OpenApiDocument, base: string, o: Op, seen: Seen[], override: { body?: unknown; pathValue?: string } = {}): Built {
  let path = o.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = { accept: "application/json", "x-request-id": `contract-smoke-${randomUUID()}` };
  for (const p of o.params) {
    const name = String(p.name);
    if (p.in === "path") {
      path = path.replace(`{${name}}`, encodeURIComponent(override.pathValue ?? pathValue(doc, o, p, seen)));
      continue;
    }
    if (p.required !== true) continue;
    const value = explicitExample(doc, p) ?? sample(doc, p.schema, `${p.in} parameter ${name}`);
    if (p.in === "query") query.set(name, String(value));
    else if (p.in === "header") headers[name] = String(value);
  }
  const rb = resolve(doc, o.op.requestBody);
  let body: string | undefined;
  if (isObject(rb) && isObject(rb.content)) {
    const media = rb.content["application/json"];
    if (!isObject(media)) throw new RequestBuildError(`cannot build a request: the body is not declared as application/json (${Object.keys(rb.content).join(", ")})`);
    body = JSON.stringify(override.body !== undefined ? override.body : sample(doc, media.schema, "body"));
    headers["content-type"] = "application/json";
  }
  const qs = query.toString();
  return { url: `${base}${path}${qs ? `?${qs}` : ""}`, headers, ...(body !== undefined ? { body } : {}) };
}

/** The response declared for a status: exact code, then `2XX`-style range, then `default`. */
function declared(o: Op, status: number): { key: string; response: Record<string, unknown> } | undefined {
  const responses = isObject(o.op.responses) ? o.op.responses : {};
  for (const key of [String(status), `${String(status)[0]}XX`, "default"]) {
    if (isObject(responses[key])) return { key, response: responses[key] };
  }
  return undefined;
}

export async function exerciseContract(opts: ContractSmokeOptions): Promise<ContractCheck[]> {
  const doc = opts.document;
  if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1")) {
    throw new Error(`the contract smoke test needs an OpenAPI 3.1 document (JSON Schema 2020-12); got ${String(doc.openapi ?? "no \"openapi\" field")}`);
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: "contract" });
  const base = opts.baseUrl.replace(/\/$/, "");
  const seen: Seen[] = [];
  const checks: ContractCheck[] = [];

  const call = async (o: Op, name: string, expect: (status: number) => string | undefined, override?: { body?: unknown; pathValue?: string }) => {
    let req: Built;
    try {
      req = build(doc, base, o, seen, override);
    } catch (err) {
      if (!(err instanceof RequestBuildError)) throw err;
      checks.push({ name, ok: false, detail: err.message });
      return;
    }
    let res: Response;
    try {
      res = await fetch(req.url, { method: o.method.toUpperCase(), headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}), signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
    } catch (err) {
      checks.push({ name, ok: false, detail: `no response: ${(err as Error).message}` });
      return;
    }
    const text = await res.text();
    const problems: string[] = [];
    const unexpected = expect(res.status);
    if (unexpected) problems.push(unexpected);
    const d = declared(o, res.status);
    let body: unknown;
    if (!d) problems.push(`status ${res.status} is not declared`);
    else {
      const media = isObject(d.response.content) ? d.response.content["application/json"] : undefined;
      if (isObject(media) && media.schema !== undefined) {
        const type = res.headers.get("content-type") ?? "";
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          problems.push(`body is not JSON (content-type ${type || "none"})`);
        }
        if (!type.startsWith("application/json")) problems.push(`content-type ${type || "none"}, declared application/json`);
        const validate = ajv.getSchema(`contract${o.pointer}/responses/${token(d.key)}/content/application~1json/schema`);
        if (!validate) problems.push("the declared schema could not be compiled");
        else if (body !== undefined && !validate(body)) {
          problems.push(`body does not match the declared schema: ${(validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ")}`);
        }
      }
    }
    if (res.ok && body !== undefined) seen.push({ path: o.path, body });
    checks.push({ name, ok: problems.length === 0, detail: `HTTP ${res.status}${problems.length ? `: ${problems.join("; ")}` : ", body matches its declared schema"}` });
  };

  for (const o of operations(doc)) {
    const label = `${o.method.toUpperCase()} ${o.path}`;
    const summary = typeof o.op.summary === "string" ? ` (${o.op.summary})` : "";
    await call(o, `${label}${summary}`, (s) => (s >= 200 && s < 300 ? undefined : `expected a success status`));
    const responses = isObject(o.op.responses) ? o.op.responses : {};
    const body = resolve(doc, o.op.requestBody);
    const bodySchema = isObject(body) && isObject(body.content) && isObject(body.content["application/json"]) ? resolve(doc, (body.content["application/json"] as Record<string, unknown>).schema) : undefined;
    if ("400" in responses && isObject(bodySchema) && Array.isArray(bodySchema.required) && bodySchema.required.length > 0) {
      await call(o, `${label} with an empty object as body → 400`, (s) => (s === 400 ? undefined : "expected 400"), { body: {} });
    }
    if ("404" in responses && o.params.some((p) => p.in === "path")) {
      await call(o, `${label} naming nothing → 404`, (s) => (s === 404 ? undefined : "expected 404"), { pathValue: `0-contract-smoke-${randomUUID()}` });
    }
  }
  return checks;
}
