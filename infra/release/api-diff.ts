/**
 * API diff: what changed between two OpenAPI 3.x documents (operations, parameters, request and
 * response bodies, down to each field), each change named by a rule and judged breaking or not.
 *
 * The one rule behind every judgement: a change is breaking when a client written against the
 * previous document can fail against the new one. Requests may only accept more (a newly
 * required parameter or field, a narrower type, a removed enum value, a tighter constraint
 * break); responses may only promise less (a removed field, a field that may now be absent or
 * null, a wider type, a new enum value, a removed success status break). What cannot be
 * proven compatible (a changed pattern or union) counts as breaking.
 */

export type JsonSchema = Record<string, unknown>;
export interface OpenApiDocument {
  openapi?: string;
  info?: { title?: string; version?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface ApiChange {
  /** `GET /orders/{id}`. */
  operation: string;
  kind: "added" | "removed" | "changed";
  /** What the change is about, e.g. `response 200 body field orders[].status`. */
  subject: string;
  /** The rule's name, e.g. `response-field-removed`. */
  rule: string;
  breaking: boolean;
  /** One line for people: subject and what happened. */
  message: string;
}

export interface ApiDiff {
  operations: { added: string[]; removed: string[]; changed: string[] };
  changes: ApiChange[];
  breaking: ApiChange[];
}

export interface OperationSummary {
  method: string;
  path: string;
  operationId?: string;
  summary?: string;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
type Direction = "request" | "response";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Refuses what is not an OpenAPI 3.x document, saying what it is instead. */
export function assertOpenApi(doc: unknown, where: string): OpenApiDocument {
  if (!isObject(doc)) throw new Error(`${where}: not a JSON object`);
  if (typeof doc.openapi !== "string" || !/^3\./.test(doc.openapi)) {
    throw new Error(`${where}: not an OpenAPI 3.x document (${typeof doc.swagger === "string" ? `Swagger ${doc.swagger}` : "no \"openapi\" field"}); generate one with \`npm run -w backend openapi\``);
  }
  if (doc.paths !== undefined && !isObject(doc.paths)) throw new Error(`${where}: "paths" is not an object`);
  return doc as OpenApiDocument;
}

/** Follows local `$ref`s (`#/components/...`); a cycle or a dangling ref stops with a clear error. */
function deref(doc: OpenApiDocument, node: unknown, seen: string[] = []): unknown {
  if (!isObject(node) || typeof node.$ref !== "string") return node;
  const ref = node.$ref;
  if (!ref.startsWith("#/")) throw new Error(`external $ref ${ref} is not supported: bundle the document first`);
  if (seen.includes(ref)) return {};
  let target: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    target = isObject(target) ? target[key] : undefined;
  }
  if (target === undefined) throw new Error(`$ref ${ref} points to nothing in the document`);
  return deref(doc, target, [...seen, ref]);
}

export function listOperations(doc: OpenApiDocument): OperationSummary[] {
  const out: OperationSummary[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      out.push({
        method: method.toUpperCase(),
        path,
        ...(typeof op.operationId === "string" ? { operationId: op.operationId } : {}),
        ...(typeof op.summary === "string" ? { summary: op.summary } : {}),
      });
    }
  }
  return out;
}

/** `/orders/{id}` and `/orders/{orderId}` are the same operation to a client. */
const templateKey = (path: string) => path.replace(/\{[^}]+\}/g, "{}");

interface Operation {
  label: string;
  path: string;
  op: Record<string, unknown>;
  pathItem: Record<string, unknown>;
}

function operations(doc: OpenApiDocument): Map<string, Operation> {
  const map = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const pathItem = deref(doc, item) as Record<string, unknown>;
    for (const method of METHODS) {
      const op = pathItem[method];
      if (isObject(op)) map.set(`${method.toUpperCase()} ${templateKey(path)}`, { label: `${method.toUpperCase()} ${path}`, path, op, pathItem });
    }
  }
  return map;
}

interface Parameter {
  key: string;
  label: string;
  required: boolean;
  schema: unknown;
}

/** Path-level and operation-level parameters (the operation's win); path ones keyed by position. */
function parameters(doc: OpenApiDocument, o: Operation): Map<string, Parameter> {
  const all = [...(Array.isArray(o.pathItem.parameters) ? o.pathItem.parameters : []), ...(Array.isArray(o.op.parameters) ? o.op.parameters : [])];
  const pathNames = [...o.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const map = new Map<string, Parameter>();
  for (const raw of all) {
    const p = deref(doc, raw);
    if (!isObject(p) || typeof p.name !== "string" || typeof p.in !== "string") continue;
    const name = p.in === "header" ? p.name.toLowerCase() : p.name;
    const key = p.in === "path" ? `path#${pathNames.indexOf(p.name)}` : `${p.in}:${name}`;
    map.set(key, { key, label: `${p.in} parameter ${name}`, required: p.in === "path" || p.required === true, schema: p.schema ?? {} });
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// Schemas

interface Normal {
  /** Allowed JSON types; undefined = anything. */
  types?: Set<string>;
  schema: JsonSchema;
}

/** A schema with refs resolved, `nullable` (3.0) and `anyOf [X, null]` folded into X's types. */
function normalize(doc: OpenApiDocument, raw: unknown): Normal {
  const resolved0 = deref(doc, raw);
  if (!isObject(resolved0)) return { schema: {} };
  let schema: JsonSchema = resolved0;
  let nullable = schema.nullable === true;
  for (const key of ["anyOf", "oneOf"] as const) {
    const variants = schema[key];
    if (!Array.isArray(variants)) continue;
    const resolved = variants.map((v) => deref(doc, v));
    const nonNull = resolved.filter((v) => !(isObject(v) && v.type === "null"));
    if (nonNull.length === 1 && resolved.length === 2) {
      const { [key]: _dropped, ...rest } = schema;
      schema = { ...rest, ...(nonNull[0] as JsonSchema) };
      nullable = true;
    }
  }
  const s = schema as JsonSchema;
  let types: Set<string> | undefined;
  if (typeof s.type === "string") types = new Set([s.type]);
  else if (Array.isArray(s.type)) types = new Set(s.type.filter((t): t is string => typeof t === "string"));
  else if (isObject(s.properties)) types = new Set(["object"]);
  else if (s.items !== undefined) types = new Set(["array"]);
  else if (s.const !== undefined || Array.isArray(s.enum)) types = new Set([...(Array.isArray(s.enum) ? s.enum : [s.const])].map(jsonType));
  if (types && nullable) types.add("null");
  return { ...(types ? { types } : {}), schema: s };
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

const accepts = (types: Set<string> | undefined, t: string) => types === undefined || types.has(t) || (t === "integer" && types.has("number"));
const showTypes = (t: Set<string> | undefined) => (t ? [...t].sort().join(" | ") : "any");
const canonical = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (isObject(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

function enumValues(s: JsonSchema): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum;
  return s.const !== undefined ? [s.const] : undefined;
}

interface Emit {
  (rule: string, breaking: boolean, kind: ApiChange["kind"], subject: string, what: string): void;
}

/** Numeric bounds: for `maximum`-like keys a smaller value is tighter; for `minimum`-like a larger one. */
const UPPER = ["maxLength", "maximum", "maxItems", "maxProperties", "exclusiveMaximum"];
const LOWER = ["minLength", "minimum", "minItems", "minProperties", "exclusiveMinimum"];

function compareSchemas(prevDoc: OpenApiDocument, nextDoc: OpenApiDocument, prevRaw: unknown, nextRaw: unknown, dir: Direction, subject: string, emit: Emit, depth = 0): void {
  if (depth > 32) return;
  const a = normalize(prevDoc, prevRaw);
  const b = normalize(nextDoc, nextRaw);
  const side = dir === "request" ? "request" : "response";

  // Types: a request must still accept every type it accepted; a response must not send new ones.
  const lost = a.types === undefined ? (b.types === undefined ? [] : ["any"]) : [...a.types].filter((t) => !accepts(b.types, t));
  const gained = b.types === undefined ? (a.types === undefined ? [] : ["any"]) : [...b.types].filter((t) => !accepts(a.types, t));
  if (lost.length || gained.length) {
    const breaking = dir === "request" ? lost.length > 0 : gained.length > 0;
    const nullOnly = [...lost, ...gained].every((t) => t === "null");
    const rule = nullOnly ? `${side}-${gained.includes("null") ? "became-nullable" : "no-longer-nullable"}` : `${side}-type-changed`;
    emit(rule, breaking, "changed", subject, `type ${showTypes(a.types)} → ${showTypes(b.types)}`);
  }

  // Enums (and const): requests must keep every value, responses must not add any.
  const ea = enumValues(a.schema);
  const eb = enumValues(b.schema);
  if (ea || eb) {
    const inA = new Set((ea ?? []).map(canonical));
    const inB = new Set((eb ?? []).map(canonical));
    const removed = ea ? [...inA].filter((v) => eb !== undefined && !inB.has(v)) : [];
    const added = eb ? [...inB].filter((v) => ea !== undefined && !inA.has(v)) : [];
    if (removed.length) emit(`${side}-enum-value-removed`, dir === "request", "changed", subject, `enum value(s) ${removed.join(", ")} removed`);
    if (added.length) emit(`${side}-enum-value-added`, dir === "response", "changed", subject, `enum value(s) ${added.join(", ")} added`);
    if (ea && !eb) emit(`${side}-enum-removed`, dir === "response", "changed", subject, "no longer restricted to a list of values");
    if (!ea && eb) emit(`${side}-enum-added`, dir === "request", "changed", subject, `now restricted to ${[...inB].join(", ")}`);
  }

  // Constraints: tighter breaks requests, looser breaks responses.
  for (const key of [...UPPER, ...LOWER]) {
    const va = typeof a.schema[key] === "number" ? (a.schema[key] as number) : undefined;
    const vb = typeof b.schema[key] === "number" ? (b.schema[key] as number) : undefined;
    if (va === vb) continue;
    const upper = UPPER.includes(key);
    const tighter = vb !== undefined && (va === undefined || (upper ? vb < va : vb > va));
    emit(`${side}-constraint-${tighter ? "tightened" : "loosened"}`, dir === "request" ? tighter : !tighter, "changed", subject, `${key} ${va ?? "none"} → ${vb ?? "none"}`);
  }
  for (const key of ["pattern", "format", "multipleOf"]) {
    const va = a.schema[key];
    const vb = b.schema[key];
    if (canonical(va) === canonical(vb)) continue;
    // Added or changed: cannot be proven to accept the same values. Removed: looser.
    const tighter = vb !== undefined;
    emit(`${side}-${key === "multipleOf" ? "multiple-of" : key}-${va === undefined ? "added" : vb === undefined ? "removed" : "changed"}`, dir === "request" ? tighter : va === undefined || vb === undefined ? !tighter : true, "changed", subject, `${key} ${va === undefined ? "none" : JSON.stringify(va)} → ${vb === undefined ? "none" : JSON.stringify(vb)}`);
  }
  if (dir === "request" && canonical(a.schema.default) !== canonical(b.schema.default)) {
    emit("request-default-changed", false, "changed", subject, `default ${JSON.stringify(a.schema.default) ?? "none"} → ${JSON.stringify(b.schema.default) ?? "none"}`);
  }

  // Unions that are not just "X or null": the set of variants must grow (requests) or shrink (responses).
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const va = Array.isArray(a.schema[key]) ? (a.schema[key] as unknown[]).map((v) => canonical(deref(prevDoc, v))) : undefined;
    const vb = Array.isArray(b.schema[key]) ? (b.schema[key] as unknown[]).map((v) => canonical(deref(nextDoc, v))) : undefined;
    if (!va && !vb) continue;
    if (canonical(va) === canonical(vb)) continue;
    const setA = new Set(va ?? []);
    const setB = new Set(vb ?? []);
    const grew = [...setA].every((v) => setB.has(v));
    const shrank = [...setB].every((v) => setA.has(v));
    const ok = key === "allOf" ? (dir === "request" ? shrank : grew) : dir === "request" ? grew && va !== undefined : shrank && vb !== undefined;
    emit(`${side}-${key.toLowerCase()}-changed`, !ok, "changed", subject, `${key} variants changed (${setA.size} → ${setB.size})`);
  }

  // Objects, field by field.
  const propsA = isObject(a.schema.properties) ? a.schema.properties : {};
  const propsB = isObject(b.schema.properties) ? b.schema.properties : {};
  const reqA = new Set(Array.isArray(a.schema.required) ? (a.schema.required as string[]) : []);
  const reqB = new Set(Array.isArray(b.schema.required) ? (b.schema.required as string[]) : []);
  const closedB = b.schema.additionalProperties === false || b.schema.unevaluatedProperties === false;
  const field = (name: string) => `${subject} field ${name}`;
  for (const name of Object.keys(propsA)) {
    if (name in propsB) continue;
    if (dir === "request") {
      emit("request-field-removed", closedB, "removed", field(name), closedB ? "removed, and unknown fields are refused: clients still sending it get an error" : "removed (ignored when still sent)");
    } else emit("response-field-removed", true, "removed", field(name), "removed from the response");
  }
  for (const name of Object.keys(propsB)) {
    if (name in propsA) continue;
    if (dir === "request") emit(reqB.has(name) ? "request-field-added-required" : "request-field-added-optional", reqB.has(name), "added", field(name), reqB.has(name) ? "added as required" : "added (optional)");
    else emit("response-field-added", false, "added", field(name), "added to the response");
  }
  for (const name of Object.keys(propsA)) {
    if (!(name in propsB)) continue;
    if (!reqA.has(name) && reqB.has(name)) emit(`${side}-field-became-required`, dir === "request", "changed", field(name), "optional → required");
    if (reqA.has(name) && !reqB.has(name)) emit(`${side}-field-became-optional`, dir === "response", "changed", field(name), "required → optional (may be absent)");
    compareSchemas(prevDoc, nextDoc, propsA[name], propsB[name], dir, field(name), emit, depth + 1);
  }
  // A required field listed without a schema still counts (JSON Schema allows it).
  for (const name of reqB) if (!reqA.has(name) && !(name in propsB) && dir === "request") emit("request-field-became-required", true, "changed", field(name), "now required");
  const closedA = a.schema.additionalProperties === false || a.schema.unevaluatedProperties === false;
  if (dir === "request" && !closedA && closedB) emit("request-unknown-fields-refused", true, "changed", subject, "unknown fields are now refused");

  if (a.schema.items !== undefined || b.schema.items !== undefined) {
    compareSchemas(prevDoc, nextDoc, a.schema.items ?? {}, b.schema.items ?? {}, dir, `${subject}[]`, emit, depth + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies and responses

function content(doc: OpenApiDocument, holder: unknown): Map<string, unknown> {
  const h = deref(doc, holder);
  const c = isObject(h) && isObject(h.content) ? h.content : {};
  return new Map(Object.entries(c).map(([type, media]) => [type, isObject(media) ? media.schema : undefined]));
}

function compareContent(prevDoc: OpenApiDocument, nextDoc: OpenApiDocument, a: unknown, b: unknown, dir: Direction, subject: string, emit: Emit): void {
  const ca = content(prevDoc, a);
  const cb = content(nextDoc, b);
  for (const [type, schema] of ca) {
    if (!cb.has(type)) emit(`${dir}-media-type-removed`, true, "removed", `${subject} ${type}`, "media type removed");
    else compareSchemas(prevDoc, nextDoc, schema ?? {}, cb.get(type) ?? {}, dir, subject, emit);
  }
  for (const type of cb.keys()) if (!ca.has(type)) emit(`${dir}-media-type-added`, false, "added", `${subject} ${type}`, "media type added");
}

function compareOperation(prevDoc: OpenApiDocument, nextDoc: OpenApiDocument, a: Operation, b: Operation, emit: Emit): void {
  const pa = parameters(prevDoc, a);
  const pb = parameters(nextDoc, b);
  for (const [key, p] of pa) if (!pb.has(key)) emit("parameter-removed", false, "removed", p.label, "removed (ignored when still sent)");
  for (const [key, p] of pb) {
    const old = pa.get(key);
    if (!old) {
      emit(p.required ? "parameter-added-required" : "parameter-added-optional", p.required, "added", p.label, p.required ? "added as required" : "added (optional)");
      continue;
    }
    if (!old.required && p.required) emit("parameter-became-required", true, "changed", p.label, "optional → required");
    if (old.required && !p.required) emit("parameter-became-optional", false, "changed", p.label, "required → optional");
    compareSchemas(prevDoc, nextDoc, old.schema, p.schema, "request", p.label, emit);
  }

  const ba = deref(prevDoc, a.op.requestBody);
  const bb = deref(nextDoc, b.op.requestBody);
  const requiredA = isObject(ba) && ba.required === true;
  const requiredB = isObject(bb) && bb.required === true;
  if (!isObject(ba) && isObject(bb)) emit(requiredB ? "request-body-added-required" : "request-body-added-optional", requiredB, "added", "request body", requiredB ? "added as required" : "added (optional)");
  else if (isObject(ba) && !isObject(bb)) emit("request-body-removed", false, "removed", "request body", "removed (ignored when still sent)");
  else if (isObject(ba) && isObject(bb)) {
    if (!requiredA && requiredB) emit("request-body-became-required", true, "changed", "request body", "optional → required");
    compareContent(prevDoc, nextDoc, ba, bb, "request", "request body", emit);
  }

  const ra = isObject(a.op.responses) ? a.op.responses : {};
  const rb = isObject(b.op.responses) ? b.op.responses : {};
  for (const status of Object.keys(ra)) {
    const success = /^2/.test(status);
    if (!(status in rb)) emit(success ? "response-success-status-removed" : "response-status-removed", success, "removed", `response ${status}`, success ? "success status no longer returned" : "status no longer declared");
    else compareContent(prevDoc, nextDoc, ra[status], rb[status], "response", `response ${status} body`, emit);
  }
  for (const status of Object.keys(rb)) if (!(status in ra)) emit("response-status-added", false, "added", `response ${status}`, "status added");
}

export function diffOpenApi(previous: OpenApiDocument, current: OpenApiDocument): ApiDiff {
  const before = operations(previous);
  const after = operations(current);
  const changes: ApiChange[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [key, op] of before) {
    if (after.has(key)) continue;
    removed.push(op.label);
    changes.push({ operation: op.label, kind: "removed", subject: "operation", rule: "operation-removed", breaking: true, message: `${op.label}: operation removed` });
  }
  for (const [key, op] of after) {
    const old = before.get(key);
    if (!old) {
      added.push(op.label);
      changes.push({ operation: op.label, kind: "added", subject: "operation", rule: "operation-added", breaking: false, message: `${op.label}: operation added` });
      continue;
    }
    const own: ApiChange[] = [];
    compareOperation(previous, current, old, op, (rule, breaking, kind, subject, what) => own.push({ operation: op.label, kind, subject, rule, breaking, message: `${op.label}: ${subject}: ${what}` }));
    if (own.length) changed.push(op.label);
    changes.push(...own);
  }
  return { operations: { added, removed, changed }, changes, breaking: changes.filter((c) => c.breaking) };
}

// ---------------------------------------------------------------------------------------------
// Versions

interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(version: string): SemVer {
  const m = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(version);
  if (!m) throw new Error(`"${version}" is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.4.0)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** A release that may break the API: a new major (or, below 1.0.0, a new minor: semver §4). */
export function allowsBreakingChanges(previousVersion: string, version: string): boolean {
  const a = parseVersion(previousVersion);
  const b = parseVersion(version);
  if (b.major > a.major) return true;
  return a.major === 0 && b.major === 0 && b.minor > a.minor;
}

export interface ApiJudgement {
  /** Breaking changes without the version bump that allows them. */
  blocking: boolean;
  /** One line per breaking change that blocks (empty otherwise). */
  findings: string[];
  summary: string;
}

export function judgeApiDiff(diff: ApiDiff, previousVersion: string, version: string): ApiJudgement {
  const n = diff.breaking.length;
  if (n === 0) return { blocking: false, findings: [], summary: `no breaking change since ${previousVersion}` };
  if (allowsBreakingChanges(previousVersion, version)) return { blocking: false, findings: [], summary: `${n} breaking change(s), allowed by the major version ${previousVersion} → ${version}` };
  return {
    blocking: true,
    findings: diff.breaking.map((c) => `breaking API change without a major version bump (${previousVersion} → ${version}): ${c.message} [${c.rule}]`),
    summary: `${n} breaking change(s) without a major version bump (${previousVersion} → ${version})`,
  };
}
