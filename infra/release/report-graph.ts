/**
 * The resource graph of preview/graph.json as an inline SVG: one box per top-level component
 * (its key custom resources listed inside, the rest counted), arrows for the dependencies
 * between components. Component level on purpose: 100+ resources drawn one by one are unreadable.
 */
import { escapeHtml } from "./report-markdown";

export interface GraphResource {
  urn: string;
  type: string;
  custom?: boolean;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export interface ComponentBox {
  urn: string;
  name: string;
  type: string;
  /** Key resources inside (custom resources of KEY_TYPES and nested components). */
  keys: { name: string; type: string }[];
  /** How many other resources it holds. */
  others: number;
}

export interface ComponentGraph {
  components: ComponentBox[];
  /** `from` depends on `to` (urns of components). */
  edges: { from: string; to: string }[];
  /** Resources outside any component (providers excluded). */
  loose: number;
}

/** The resources people look for first; everything else in a component is counted, not listed. */
const KEY_TYPES = new Set([
  "aws:rds/instance:Instance",
  "aws:ecs/cluster:Cluster",
  "aws:ecs/service:Service",
  "aws:ecs/taskDefinition:TaskDefinition",
  "aws:lb/loadBalancer:LoadBalancer",
  "aws:s3/bucket:Bucket",
  "aws:ecr/repository:Repository",
  "aws:secretsmanager/secret:Secret",
  "aws:kms/key:Key",
  "aws:cloudwatch/logGroup:LogGroup",
  "pagerduty:index/service:Service",
  "pagerduty:index/schedule:Schedule",
  "pagerduty:index/escalationPolicy:EscalationPolicy",
  "datadog:index/dashboard:Dashboard",
  "docker:index/image:Image",
  "command:local:Command",
]);

export const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
export const shortType = (type: string): string => {
  const parts = type.split(":");
  return `${parts[0]}:${(parts[2] ?? parts[1] ?? type).trim()}`;
};

/** Reads `{ deployment: { resources } }` (what the preview step writes) or a bare `{ resources }`. */
export function graphResources(json: unknown, where: string): GraphResource[] {
  const d = (json as { deployment?: unknown })?.deployment ?? json;
  const resources = (d as { resources?: unknown })?.resources;
  if (!Array.isArray(resources)) throw new Error(`${where}: expected { deployment: { resources: [...] } } (the preview step's graph.json); found no resources array`);
  return resources.map((r, i) => {
    if (typeof r !== "object" || r === null || typeof (r as GraphResource).urn !== "string" || typeof (r as GraphResource).type !== "string") {
      throw new Error(`${where}: resources[${i}] has no urn/type string`);
    }
    return r as GraphResource;
  });
}

export function componentGraph(resources: readonly GraphResource[]): ComponentGraph {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const stack = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const isTop = (r: GraphResource) => !r.custom && r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:") && (!r.parent || r.parent === stack?.urn);
  const tops = resources.filter(isTop);
  const topOf = (urn: string): string | undefined => {
    for (let r = byUrn.get(urn), guard = 0; r && guard < 100; r = r.parent ? byUrn.get(r.parent) : undefined, guard++) if (isTop(r)) return r.urn;
    return undefined;
  };
  const components = new Map<string, ComponentBox>(tops.map((r) => [r.urn, { urn: r.urn, name: nameOf(r.urn), type: r.type, keys: [], others: 0 }]));
  let loose = 0;
  const edges = new Set<string>();
  for (const r of resources) {
    if (r === stack || r.type.startsWith("pulumi:providers:") || isTop(r)) continue;
    const top = topOf(r.urn);
    const box = top ? components.get(top) : undefined;
    if (!box) loose++;
    else if (KEY_TYPES.has(r.type) || !r.custom) box.keys.push({ name: nameOf(r.urn), type: r.type });
    else box.others++;
  }
  for (const r of resources) {
    const from = topOf(r.urn);
    if (!from) continue;
    const deps = [...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()];
    for (const dep of deps) {
      const to = topOf(dep);
      if (to && to !== from) edges.add(`${from}\n${to}`);
    }
  }
  return { components: [...components.values()], edges: [...edges].map((e) => ({ from: e.split("\n")[0]!, to: e.split("\n")[1]! })), loose };
}

/** Longest-path layers: a component sits one column right of everything it depends on. */
function layers(g: ComponentGraph): Map<string, number> {
  const layer = new Map(g.components.map((c) => [c.urn, 0]));
  // Bounded relaxation: a dependency cycle cannot loop forever, it just stops moving.
  for (let pass = 0; pass < g.components.length; pass++) {
    let moved = false;
    for (const e of g.edges) {
      const want = (layer.get(e.to) ?? 0) + 1;
      if ((layer.get(e.from) ?? 0) < want) {
        layer.set(e.from, want);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return layer;
}

const BOX_W = 236;
const GAP_X = 64;
/** Characters that fit a box line at the key font size (longer names are cut with …). */
const FIT = 38;
const fit = (text: string, n = FIT) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
const GAP_Y = 24;
const LINE = 16;
const MAX_KEYS = 6;

/** The SVG (`<svg>` element, sized to fit) of the component graph. */
export function renderGraphSvg(g: ComponentGraph): string {
  const layer = layers(g);
  const columns: ComponentBox[][] = [];
  for (const c of g.components) (columns[layer.get(c.urn) ?? 0] ??= []).push(c);
  const pos = new Map<string, { x: number; y: number; h: number }>();
  let height = 0;
  columns.forEach((col, i) => {
    let y = 10;
    for (const c of col) {
      const shown = Math.min(c.keys.length, MAX_KEYS);
      const extra = c.keys.length - shown + c.others;
      const h = 44 + shown * LINE + (extra > 0 ? LINE : 0) + 8;
      pos.set(c.urn, { x: 10 + i * (BOX_W + GAP_X), y, h });
      y += h + GAP_Y;
    }
    height = Math.max(height, y);
  });
  const width = 20 + columns.length * BOX_W + Math.max(0, columns.length - 1) * GAP_X;
  const edges = g.edges
    .map((e) => {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      if (!a || !b) return "";
      // From the dependency's right edge to the dependent's left edge.
      const x1 = b.x + BOX_W;
      const y1 = b.y + b.h / 2;
      const x2 = a.x;
      const y2 = a.y + a.h / 2;
      const dx = Math.max(40, Math.abs(x2 - x1) / 2);
      return `<path class="edge" d="M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}" marker-end="url(#arrow)"><title>${escapeHtml(nameOf(e.from))} depends on ${escapeHtml(nameOf(e.to))}</title></path>`;
    })
    .join("\n");
  const boxes = g.components
    .map((c) => {
      const p = pos.get(c.urn)!;
      const shown = c.keys.slice(0, MAX_KEYS);
      const extra = c.keys.length - shown.length + c.others;
      const lines = shown.map((k, i) => {
        const type = shortType(k.type);
        const name = fit(k.name, FIT - Math.min(type.length, 16));
        return `<text class="key" x="${p.x + 10}" y="${p.y + 52 + i * LINE}"><title>${escapeHtml(k.name)} (${escapeHtml(k.type)})</title>${escapeHtml(name)} <tspan class="type">${escapeHtml(fit(type, FIT - name.length))}</tspan></text>`;
      });
      if (extra > 0) lines.push(`<text class="more" x="${p.x + 10}" y="${p.y + 52 + shown.length * LINE}">+ ${extra} more resource${extra === 1 ? "" : "s"}</text>`);
      return `<g class="component" data-urn="${escapeHtml(c.urn)}"><rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${p.h}" rx="6"/><text class="name" x="${p.x + 10}" y="${p.y + 18}">${escapeHtml(fit(c.name, 30))}</text><text class="type" x="${p.x + 10}" y="${p.y + 33}">${escapeHtml(fit(c.type, 42))}</text>${lines.join("")}</g>`;
    })
    .join("\n");
  return [
    `<svg id="resource-graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.max(height, 40)}" viewBox="0 0 ${width} ${Math.max(height, 40)}" role="img" aria-label="Resource graph: ${g.components.length} components, ${g.edges.length} dependencies">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>`,
    edges,
    boxes,
    "</svg>",
  ].join("\n");
}
