/**
 * A Mermaid `flowchart` of what a diff changes: each changed resource styled by what happens to
 * it (create, update, replace, may replace, delete), under the components that hold it (dotted
 * edges), with arrows from a changed resource to the changed resources that depend on it. GitHub
 * renders it in the PR comment; a big diff is capped, the rest summed up in one "…N more" node.
 */
import { urnName } from "./deployment";
import { ORDER, SYMBOL, type ChangeKind, type DeploymentDiff, type ResourceChange } from "./diff";

export const MAX_DIAGRAM_CHANGES = 30;

const CLASS: Record<ChangeKind, string> = { create: "create", update: "update", replace: "replace", "may-replace": "mayreplace", delete: "delete" };

const CLASS_DEFS = [
  "classDef create fill:#dafbe1,stroke:#1a7f37,color:#1f2328",
  "classDef update fill:#fff8c5,stroke:#9a6700,color:#1f2328",
  "classDef replace fill:#ffebe9,stroke:#cf222e,stroke-width:2px,color:#1f2328",
  "classDef mayreplace fill:#fff1e5,stroke:#bc4c00,stroke-width:2px,stroke-dasharray:5 3,color:#1f2328",
  "classDef delete fill:#f6f8fa,stroke:#cf222e,stroke-dasharray:3 3,color:#57606a",
  "classDef component fill:#ffffff,stroke:#d0d7de,color:#57606a",
];

/** The class name of a type token (`aws:ecs/taskDefinition:TaskDefinition` → `ecs TaskDefinition`). */
function shortType(type: string): string {
  const [pkg, mod, cls] = type.split(":");
  const module = mod?.split("/")[0];
  return [module && module !== "index" ? module : pkg, cls ?? type].join(" ");
}

/** Text inside a quoted Mermaid label: quotes and markup as entity codes. */
function label(text: string): string {
  return text.replace(/[#"<>&]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

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
  const lines = ["flowchart LR"];
  const components = new Set<string>();
  const edges = new Set<string>();
  const node = (c: ResourceChange) => `  ${id(c.urn)}["${label(`${SYMBOL[c.kind]} ${urnName(c.urn)}`)}<br/><small>${label(shortType(c.type))}</small>"]:::${CLASS[c.kind]}`;
  const changed = new Set(shown.map((c) => c.urn));
  for (const c of shown) {
    lines.push(node(c));
    const chain = c.parents ?? [];
    chain.forEach((p, i) => {
      if (!changed.has(p)) components.add(p);
      const child = i === 0 ? c.urn : chain[i - 1]!;
      edges.add(`  ${id(p)} -.- ${id(child)}`);
    });
    for (const d of c.dependencies ?? []) if (changed.has(d) && d !== c.urn) edges.add(`  ${id(d)} --> ${id(c.urn)}`);
  }
  for (const p of components) {
    const type = p.split("::")[2]?.split("$").pop() ?? "";
    lines.push(`  ${id(p)}["${label(urnName(p))}<br/><small>${label(shortType(type))}</small>"]:::component`);
  }
  lines.push(...edges);
  const rest = diff.changes.length - shown.length;
  if (rest > 0) lines.push(`  more["${label(`…${rest} more change(s), listed in the table`)}"]:::component`);
  lines.push(...CLASS_DEFS.map((d) => `  ${d}`));
  return lines.join("\n");
}
