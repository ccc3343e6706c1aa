/** A readable resource tree (parents before children) and the count per type. */
import type { Deployment, DeploymentResource } from "./deployment";
import { urnName } from "./deployment";

export function countByType(deployment: Deployment): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of deployment.deployment.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function renderTree(deployment: Deployment): string {
  const resources = deployment.deployment.resources.filter((r) => !r.type.startsWith("pulumi:providers:"));
  const children = new Map<string, DeploymentResource[]>();
  const roots: DeploymentResource[] = [];
  const known = new Set(resources.map((r) => r.urn));
  for (const r of resources) {
    if (r.parent && known.has(r.parent)) {
      const list = children.get(r.parent) ?? [];
      list.push(r);
      children.set(r.parent, list);
    } else roots.push(r);
  }
  const lines: string[] = [];
  const walk = (r: DeploymentResource, prefix: string, last: boolean, depth: number) => {
    const flags = [r.protect ? "protect" : "", r.retainOnDelete ? "retain" : ""].filter(Boolean);
    const label = `${r.type}  ${urnName(r.urn)}${flags.length ? `  [${flags.join(", ")}]` : ""}`;
    lines.push(depth === 0 ? label : `${prefix}${last ? "└─ " : "├─ "}${label}`);
    const kids = children.get(r.urn) ?? [];
    kids.forEach((k, i) => walk(k, depth === 0 ? "" : `${prefix}${last ? "   " : "│  "}`, i === kids.length - 1, depth + 1));
  };
  roots.forEach((r, i) => walk(r, "", i === roots.length - 1, 0));
  return lines.join("\n");
}

export function renderCounts(deployment: Deployment): string {
  const counts = countByType(deployment);
  const width = Math.max(...counts.map(([t]) => t.length));
  const total = deployment.deployment.resources.length;
  return [...counts.map(([t, n]) => `${t.padEnd(width)}  ${String(n).padStart(3)}`), `${"total".padEnd(width)}  ${String(total).padStart(3)}`].join("\n");
}
