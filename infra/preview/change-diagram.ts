/**
 * A Mermaid `flowchart` of what a diff changes: each changed resource styled by what happens to
 * it (create, update, replace, may replace, delete), inside the components that hold it
 * (subgraphs, nested as the parent chain is), with an arrow from each changed resource whose
 * identity changes (replaced, created, deleted) to the changed resources that depend on it: the
 * reason they change. GitHub renders it in the PR comment; a big diff is capped, the rest summed
 * up in one "…N more" node.
 */
import { urnName } from "./deployment";
import { ORDER, SYMBOL, type ChangeKind, type DeploymentDiff, type ResourceChange } from "./diff";
import { shortType } from "./replacement-rules";

export const MAX_DIAGRAM_CHANGES = 30;

const CLASS: Record<ChangeKind, string> = { create: "create", update: "update", replace: "replace", "may-replace": "mayreplace", delete: "delete" };

const CLASS_DEFS = [
  "classDef create fill:#dafbe1,stroke:#1a7f37,color:#1f2328",
  "classDef update fill:#fff8c5,stroke:#9a6700,color:#1f2328",
  "classDef replace fill:#ffebe9,stroke:#cf222e,stroke-width:2px,color:#1f2328",
  "classDef mayreplace fill:#fff1e5,stroke:#bc4c00,stroke-width:2px,stroke-dasharray:5 3,color:#1f2328",
  "classDef delete fill:#f6f8fa,stroke:#cf222e,stroke-dasharray:3 3,color:#57606a",
  "classDef more fill:#ffffff,stroke:#d0d7de,color:#57606a",
];

/** Text inside a quoted Mermaid label: quotes and markup as entity codes. */
function label(text: string): string {
  return text.replace(/[#"<>&]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

/** Changes that give dependents new input values. */
const NEW_IDENTITY: ReadonlySet<ChangeKind> = new Set(["replace", "may-replace", "create", "delete"]);

export function changeDiagram(diff: DeploymentDiff, max = MAX_DIAGRAM_CHANGES): string | undefined {
  if (diff.changes.length === 0) return undefined;
  const shown = [...diff.changes].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind)).slice(0, max);
  const ids = new Map<string, string>();
  const id = (urn: string) => {
    let v = ids.get(urn);
    if (!v) {
      v = `n${ids.size}`;
      ids.set(urn, v);
    }
    return v;
  };
  const byUrn = new Map(shown.map((c) => [c.urn, c]));
  // The component tree of what is shown: each component's children (resources and components).
  const children = new Map<string, Set<string>>();
  const roots = new Set<string>();
  for (const c of shown) {
    const chain = [c.urn, ...(c.parents ?? [])];
    for (let i = 0; i < chain.length; i++) {
      const parent = chain[i + 1];
      if (parent) (children.get(parent) ?? children.set(parent, new Set()).get(parent)!).add(chain[i]!);
      else roots.add(chain[i]!);
    }
  }
  const node = (c: ResourceChange) => `${id(c.urn)}["${label(`${SYMBOL[c.kind]} ${urnName(c.urn)}`)}<br/><small>${label(shortType(c.type))}</small>"]:::${CLASS[c.kind]}`;
  const lines = ["flowchart LR"];
  const emit = (urn: string, depth: number) => {
    const pad = "  ".repeat(depth);
    const kids = children.get(urn);
    const change = byUrn.get(urn);
    if (change && !kids) {
      lines.push(`${pad}${node(change)}`);
      return;
    }
    // A component (or a changed resource that is also a parent): a box around its children.
    const type = change?.type ?? urn.split("::")[2]?.split("$").pop() ?? "";
    lines.push(`${pad}subgraph ${id(urn)}_g["${label(`${urnName(urn)} (${shortType(type)})`)}"]`);
    if (change) lines.push(`${pad}  ${node(change)}`);
    for (const k of kids ?? []) emit(k, depth + 1);
    lines.push(`${pad}end`);
  };
  for (const r of roots) emit(r, 1);
  const edges = new Set<string>();
  for (const c of shown) {
    for (const d of c.dependencies ?? []) {
      const dep = byUrn.get(d);
      if (dep && d !== c.urn && NEW_IDENTITY.has(dep.kind)) edges.add(`  ${id(d)} --> ${id(c.urn)}`);
    }
  }
  lines.push(...edges);
  const rest = diff.changes.length - shown.length;
  if (rest > 0) lines.push(`  more["${label(`…${rest} more change(s), listed in the table`)}"]:::more`);
  lines.push(...CLASS_DEFS.map((d) => `  ${d}`));
  return lines.join("\n");
}
