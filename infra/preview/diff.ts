/**
 * The difference between two deployments (base branch vs head, or a `pulumi stack export` vs the
 * preview), resource by resource, matched by URN: create, update, replace, may-replace, delete,
 * with every changed property old → new and the verdict the real provider would reach
 * (./replacement-rules.ts).
 *
 * What the engine adds on top of the provider is applied here too: `ignoreChanges` paths are not
 * changes, `replaceOnChanges` paths replace, a changed provider may replace, and a resource whose
 * input comes from a replaced resource gets that input anew (after apply), which replaces it when
 * that input is one the provider replaces on.
 */
import type { Deployment, DeploymentResource } from "./deployment";
import { urnName } from "./deployment";
import { diffProperties, displayValue, formatPath, type PathSegment, type RawPropertyChange } from "./property-diff";
import { classifyProperty, worst, type Verdict } from "./replacement-rules";

export type ChangeKind = "create" | "update" | "replace" | "may-replace" | "delete";

export interface PropertyChange {
  /** `containerDefinitions[0].memory`. */
  path: string;
  /** Displayed values: secrets as `[secret]`, long values shortened. */
  old: string;
  new: string;
  verdict: Verdict;
  /** Why it replaces, or what an in-place change costs. */
  reason?: string;
  secret?: boolean;
  /** Listed in the resource's ignoreChanges: Pulumi will not apply it. */
  ignored?: boolean;
}

export interface ResourceChange {
  kind: ChangeKind;
  urn: string;
  type: string;
  /** Top-level input keys that changed. */
  keys?: string[];
  properties?: PropertyChange[];
  protect?: boolean;
  retainOnDelete?: boolean;
  deleteBeforeReplace?: boolean;
  /** Parent chain (nearest first, the stack excluded) and dependencies, for the diagram. */
  parents?: string[];
  dependencies?: string[];
}

export interface DeploymentDiff {
  changes: ResourceChange[];
  summary: Record<ChangeKind, number> & { same: number };
  /** Secret values compared against the offline preview's placeholders: unknowable, not reported. */
  secretsNotCompared: number;
}

const KIND_OF: Record<Verdict, ChangeKind> = { update: "update", "may replace": "may-replace", replace: "replace" };

/** Pulumi property paths (`a.b[*].c`, `tags["x"]`) as segments; `*` matches any key or index. */
function pulumiPath(path: string): string[] {
  return path
    .replace(/\[\s*"([^"]*)"\s*\]/g, ".$1")
    .replace(/\[([^\]]*)\]/g, ".$1")
    .split(".")
    .filter((s) => s !== "");
}

/** The option path covers the change when one is a prefix of the other (a whole array changed covers `triggers[*]`). */
function optionCovers(option: string, segments: readonly PathSegment[]): boolean {
  const p = pulumiPath(option);
  const n = Math.min(p.length, segments.length);
  for (let i = 0; i < n; i++) if (p[i] !== "*" && p[i] !== String(segments[i])) return false;
  return true;
}

function isDefaultProvider(ref: string | undefined): boolean {
  return Boolean(ref && /::pulumi:providers:[^:]+::default(_[0-9_]+)?::/.test(ref));
}

function parentChain(r: DeploymentResource, byUrn: Map<string, DeploymentResource>): string[] {
  const chain: string[] = [];
  for (let p = r.parent; p && !chain.includes(p); p = byUrn.get(p)?.parent) {
    if (byUrn.get(p)?.type === "pulumi:pulumi:Stack" || p.split("::")[2] === "pulumi:pulumi:Stack") break;
    chain.push(p);
  }
  return chain;
}

interface Pending {
  old: DeploymentResource;
  now: DeploymentResource;
  props: PropertyChange[];
}

function classify(r: DeploymentResource, change: RawPropertyChange): PropertyChange {
  const path = formatPath(change.segments);
  const shown = (v: unknown) => (change.secret && v !== undefined ? "[secret]" : displayValue(v));
  const base = { path, old: shown(change.old), new: change.unknown ? "(known after apply)" : shown(change.new), ...(change.secret ? { secret: true } : {}) };
  if ((r.ignoreChanges ?? []).some((p) => optionCovers(p, change.segments))) return { ...base, verdict: "update", reason: "in ignoreChanges: not applied", ignored: true };
  if ((r.replaceOnChanges ?? []).some((p) => optionCovers(p, change.segments))) return { ...base, verdict: "replace", reason: "replaceOnChanges" };
  const c = classifyProperty(r.type, r.custom, change.segments, { old: change.old, new: change.new, inputs: r.inputs ?? {} });
  if (change.unknown && c.verdict === "replace") return { ...base, verdict: "may replace", reason: "the new value is known only after apply" };
  return { ...base, verdict: c.verdict, ...(c.reason ? { reason: c.reason } : {}) };
}

function propertyChanges(old: DeploymentResource, now: DeploymentResource): { props: PropertyChange[]; secretsNotCompared: number } {
  const secretKeys = [...(old.additionalSecretOutputs ?? []), ...(now.additionalSecretOutputs ?? [])];
  const diff = diffProperties(old.inputs ?? {}, now.inputs ?? {}, secretKeys);
  const props = diff.changes.map((c) => classify(now, c));
  if (Boolean(old.protect) !== Boolean(now.protect)) props.push({ path: "(protect)", old: String(Boolean(old.protect)), new: String(Boolean(now.protect)), verdict: "update", reason: "resource option: no cloud change" });
  if (old.provider !== now.provider && !(isDefaultProvider(old.provider) && isDefaultProvider(now.provider) && old.provider?.split("::")[2] === now.provider?.split("::")[2])) {
    props.push({ path: "(provider)", old: displayValue(old.provider ? urnName(old.provider.split("::").slice(0, 4).join("::")) : undefined), new: displayValue(now.provider ? urnName(now.provider.split("::").slice(0, 4).join("::")) : undefined), verdict: "may replace", reason: "another provider manages it: the engine may replace it" });
  }
  return { props, secretsNotCompared: diff.secretsNotCompared };
}

const topKey = (path: string) => /^[^.[]+/.exec(path)?.[0] ?? path;

export function diffDeployments(base: Deployment, head: Deployment): DeploymentDiff {
  const before = new Map(base.deployment.resources.map((r) => [r.urn, r]));
  const after = new Map(head.deployment.resources.map((r) => [r.urn, r]));
  let secretsNotCompared = 0;
  const pending = new Map<string, Pending>();
  const created: DeploymentResource[] = [];
  let same = 0;
  for (const [urn, now] of after) {
    const old = before.get(urn);
    if (!old) {
      created.push(now);
      continue;
    }
    const { props, secretsNotCompared: n } = propertyChanges(old, now);
    secretsNotCompared += n;
    pending.set(urn, { old, now, props });
  }

  // A replaced (or possibly replaced) resource gets new outputs: its dependents' inputs taken
  // from it are known only after apply. Repeated until nothing new is reached.
  const replacing = (p: Pending) => p.props.some((c) => !c.ignored && c.verdict !== "update");
  const replaced = new Set([...pending].filter(([, p]) => replacing(p)).map(([urn]) => urn));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [urn, p] of pending) {
      for (const [key, deps] of Object.entries(p.now.propertyDependencies ?? {})) {
        const cause = deps.find((d) => replaced.has(d) && d !== urn);
        if (!cause || p.props.some((c) => topKey(c.path) === key)) continue;
        const raw: RawPropertyChange = { segments: [key], old: p.old.inputs?.[key], new: undefined, secret: false, unknown: true };
        const c = classify(p.now, raw);
        const how = worst(pending.get(cause)!.props.filter((x) => !x.ignored).map((x) => x.verdict)) === "replace" ? "is replaced" : "may be replaced";
        const reason = c.ignored ? c.reason : `known after apply: ${urnName(cause)} ${how}${c.verdict === "update" ? "" : "; a new value replaces this"}`;
        p.props.push({ ...c, ...(reason ? { reason } : {}) });
        if (!replaced.has(urn) && replacing(p)) {
          replaced.add(urn);
          grew = true;
        }
      }
    }
  }

  const changes: ResourceChange[] = [];
  const context = (r: DeploymentResource, graph: Map<string, DeploymentResource>) => {
    const parents = parentChain(r, graph);
    return { ...(parents.length ? { parents } : {}), ...(r.dependencies?.length ? { dependencies: r.dependencies } : {}) };
  };
  const flags = (r: DeploymentResource) => ({ ...(r.protect ? { protect: true } : {}), ...(r.retainOnDelete ? { retainOnDelete: true } : {}), ...(r.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}) });
  for (const [urn, p] of pending) {
    const effective = p.props.filter((c) => !c.ignored);
    if (effective.length === 0) {
      same++;
      continue;
    }
    const kind = KIND_OF[worst(effective.map((c) => c.verdict))];
    p.props.sort((a, b) => a.path.localeCompare(b.path));
    const keys = [...new Set(effective.map((c) => topKey(c.path)))].sort();
    changes.push({ kind, urn, type: p.now.type, keys, properties: p.props, ...flags(p.now), ...context(p.now, after) });
  }
  for (const r of created) changes.push({ kind: "create", urn: r.urn, type: r.type, ...context(r, after) });
  for (const [urn, r] of before) {
    if (!after.has(urn)) changes.push({ kind: "delete", urn, type: r.type, ...flags(r), ...context(r, before) });
  }
  changes.sort((x, y) => ORDER.indexOf(x.kind) - ORDER.indexOf(y.kind) || x.urn.localeCompare(y.urn));
  const summary = { create: 0, update: 0, replace: 0, "may-replace": 0, delete: 0, same };
  for (const c of changes) summary[c.kind]++;
  return { changes, summary, secretsNotCompared };
}

export const ORDER: ChangeKind[] = ["replace", "may-replace", "delete", "update", "create"];

/** Pulumi's own symbols (`+-` replace), with `?` for what the offline preview cannot decide. */
export const SYMBOL: Record<ChangeKind, string> = { create: "+", update: "~", replace: "+-", "may-replace": "+-?", delete: "-" };

export const VERDICT_LABEL: Record<ChangeKind, string> = { create: "create", update: "update", replace: "replace", "may-replace": "may replace", delete: "delete" };

/** What Pulumi will refuse or leave behind for this change. */
export function warnings(c: ResourceChange): string[] {
  const out: string[] = [];
  if (c.protect && (c.kind === "delete" || c.kind === "replace" || c.kind === "may-replace")) out.push(`protected: pulumi will refuse to ${c.kind === "delete" ? "delete" : "replace"} it`);
  if (c.retainOnDelete && c.kind !== "create" && c.kind !== "update") out.push("retainOnDelete: the old one is left in the cloud");
  if (c.deleteBeforeReplace && (c.kind === "replace" || c.kind === "may-replace")) out.push("deleteBeforeReplace: deleted before its replacement exists (downtime)");
  return out;
}

/** Why a property change matters: what replaces, what may, what an in-place change costs. */
export function propertyWhy(p: PropertyChange): string | undefined {
  if (p.ignored || p.verdict === "update") return p.reason;
  return p.verdict === "replace" ? p.reason ?? "forces replacement" : `may replace: ${p.reason ?? "the provider decides"}`;
}

/** `path: old → new  (why)`, as the text output shows it. */
export function propertyLine(p: PropertyChange): string {
  const value = p.secret ? "[secret] changed" : `${p.old} → ${p.new}`;
  const why = propertyWhy(p);
  return `${p.path}: ${value}${why ? `  (${why})` : ""}`;
}

export const MAX_PROPERTIES_SHOWN = 12;

export function summaryLine(diff: DeploymentDiff): string {
  const s = diff.summary;
  const line = `${s.replace} to replace, ${s["may-replace"]} may replace, ${s.update} to update, ${s.create} to create, ${s.delete} to delete, ${s.same} unchanged`;
  return diff.secretsNotCompared > 0 ? `${line}; ${diff.secretsNotCompared} secret value(s) not compared (the offline preview records no secret)` : line;
}

export function renderDiff(diff: DeploymentDiff): string {
  const lines: string[] = [];
  for (const c of diff.changes) {
    const flag = warnings(c).map((w) => `  [${w}]`).join("");
    lines.push(`${SYMBOL[c.kind].padEnd(3)} ${VERDICT_LABEL[c.kind].padEnd(11)} ${c.type}  ${urnName(c.urn)}${flag}`);
    const props = c.properties ?? [];
    for (const p of props.slice(0, MAX_PROPERTIES_SHOWN)) lines.push(`      ${propertyLine(p)}`);
    if (props.length > MAX_PROPERTIES_SHOWN) lines.push(`      … ${props.length - MAX_PROPERTIES_SHOWN} more`);
  }
  lines.push(summaryLine(diff));
  return lines.join("\n");
}
