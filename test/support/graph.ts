/**
 * The test harness over the recorded graph: runs a committed stack's config through the real
 * program under the mock runtime (once per stack per test process) and offers lookups on it.
 */
import type { Deployment, DeploymentResource } from "../../infra/preview/deployment";
import { urnName } from "../../infra/preview/deployment";
import { recordStack, type RecordedStack } from "../../infra/preview/record";

const cache = new Map<string, Promise<RecordedStack>>();
let queue: Promise<unknown> = Promise.resolve();

/** The recorded graph of a committed stack. Recordings are serialized: the Pulumi runtime is global. */
export function recordedGraph(stack: string): Promise<RecordedStack> {
  let entry = cache.get(stack);
  if (!entry) {
    entry = queue.then(() => recordStack({ stack }));
    queue = entry.catch(() => undefined);
    cache.set(stack, entry);
  }
  return entry;
}

export class Graph {
  readonly resources: DeploymentResource[];
  private readonly byUrn: Map<string, DeploymentResource>;

  constructor(readonly deployment: Deployment) {
    this.resources = deployment.deployment.resources;
    this.byUrn = new Map(this.resources.map((r) => [r.urn, r]));
  }

  ofType(...types: string[]): DeploymentResource[] {
    return this.resources.filter((r) => types.includes(r.type));
  }

  one(type: string, name?: string): DeploymentResource {
    const found = this.ofType(type).filter((r) => name === undefined || urnName(r.urn) === name);
    if (found.length !== 1) throw new Error(`expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0]!;
  }

  get(urn: string): DeploymentResource {
    const r = this.byUrn.get(urn);
    if (!r) throw new Error(`no resource ${urn}`);
    return r;
  }

  /** Every URN `r` depends on, directly or through the resources it depends on. */
  transitiveDependencies(r: DeploymentResource): Set<string> {
    const seen = new Set<string>();
    const stack = [...(r.dependencies ?? [])];
    while (stack.length > 0) {
      const urn = stack.pop()!;
      if (seen.has(urn)) continue;
      seen.add(urn);
      stack.push(...(this.byUrn.get(urn)?.dependencies ?? []));
    }
    return seen;
  }

  /** Container definitions of a task definition, parsed from its JSON input. */
  static containers(taskDefinition: DeploymentResource): Array<Record<string, unknown>> {
    return JSON.parse(String(taskDefinition.inputs?.containerDefinitions)) as Array<Record<string, unknown>>;
  }
}

export async function graphOf(stack: string): Promise<Graph> {
  return new Graph((await recordedGraph(stack)).deployment);
}
