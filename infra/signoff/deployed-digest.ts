/**
 * After deploy: does each ECS service run the image digest the release approved?
 *
 * `observeServices` reads ECS (DescribeServices, then DescribeTaskDefinition for every
 * deployment that still has tasks); `compareDigests` is the pure judgement, so the rules are
 * tested without AWS. A rollout still in progress, an old deployment with running tasks, or an
 * image referenced by tag instead of digest all fail: none of them proves the approved bytes run.
 */
import type { DescribeServicesCommandInput, DescribeServicesCommandOutput, DescribeTaskDefinitionCommandInput, DescribeTaskDefinitionCommandOutput } from "@aws-sdk/client-ecs";

/** The two ECS calls we need; `new ECS({ region })` from @aws-sdk/client-ecs satisfies it. */
export interface EcsReader {
  describeServices(input: DescribeServicesCommandInput): Promise<DescribeServicesCommandOutput>;
  describeTaskDefinition(input: DescribeTaskDefinitionCommandInput): Promise<DescribeTaskDefinitionCommandOutput>;
}

export interface DeploymentObservation {
  id: string;
  /** PRIMARY (the newest), ACTIVE (being replaced) or INACTIVE. */
  status: string;
  rolloutState?: string;
  taskDefinition: string;
  runningCount: number;
  desiredCount: number;
  /** The image of the service's container (container named like the service, else the only one). */
  image?: string;
}

export interface ServiceObservation {
  service: string;
  /** Undefined when ECS does not know the service. */
  status?: string;
  deployments: DeploymentObservation[];
}

export interface ServiceDigestResult {
  service: string;
  approved?: string;
  running: string[];
  ok: boolean;
  problems: string[];
}

export interface DigestCheckReport {
  ok: boolean;
  services: ServiceDigestResult[];
}

/** `repo@sha256:<hex>` → `sha256:<hex>`; undefined for a tag reference. */
export function digestOfImage(image: string): string | undefined {
  return /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];
}

/** The pure judgement: every service runs exactly its approved digest, with the rollout complete. */
export function compareDigests(approved: Record<string, string>, observed: ServiceObservation[]): DigestCheckReport {
  const services = observed.map((obs): ServiceDigestResult => {
    const problems: string[] = [];
    const want = approved[obs.service];
    if (!want) problems.push(`no approved digest for ${obs.service} in the release manifest`);
    if (obs.status !== "ACTIVE") problems.push(obs.status ? `service status is ${obs.status}, not ACTIVE` : "service not found in the cluster");
    const live = obs.deployments.filter((d) => d.status === "PRIMARY" || d.runningCount > 0);
    const primary = obs.deployments.find((d) => d.status === "PRIMARY");
    if (obs.status && !primary) problems.push("no PRIMARY deployment");
    if (primary && primary.rolloutState && primary.rolloutState !== "COMPLETED") problems.push(`rollout ${primary.rolloutState} (deployment ${primary.id}); check again when it completes`);
    if (primary && primary.runningCount < primary.desiredCount) problems.push(`${primary.runningCount} of ${primary.desiredCount} tasks running`);
    const running: string[] = [];
    for (const d of live) {
      if (!d.image) {
        problems.push(`deployment ${d.id}: no container named ${obs.service} in ${d.taskDefinition}`);
        continue;
      }
      const digest = digestOfImage(d.image);
      if (!digest) {
        problems.push(`deployment ${d.id} runs ${d.image}, which is not pinned by digest`);
        continue;
      }
      running.push(digest);
      if (want && digest !== want) problems.push(`deployment ${d.id} (${d.status}, ${d.runningCount} task(s)) runs ${digest}, approved is ${want}`);
    }
    return { service: obs.service, approved: want, running: [...new Set(running)], ok: problems.length === 0, problems };
  });
  return { ok: services.length > 0 && services.every((s) => s.ok), services };
}

/** Reads what ECS runs for each service of the cluster. */
export async function observeServices(ecs: EcsReader, cluster: string, services: string[]): Promise<ServiceObservation[]> {
  const out = await ecs.describeServices({ cluster, services });
  const taskDefs = new Map<string, Promise<DescribeTaskDefinitionCommandOutput>>();
  const describe = (arn: string) => {
    const cached = taskDefs.get(arn) ?? ecs.describeTaskDefinition({ taskDefinition: arn });
    taskDefs.set(arn, cached);
    return cached;
  };
  return Promise.all(
    services.map(async (name): Promise<ServiceObservation> => {
      const svc = out.services?.find((s) => s.serviceName === name);
      if (!svc) return { service: name, deployments: [] };
      const deployments = await Promise.all(
        (svc.deployments ?? []).map(async (d): Promise<DeploymentObservation> => {
          const taskDefinition = d.taskDefinition ?? "";
          const containers = taskDefinition ? ((await describe(taskDefinition)).taskDefinition?.containerDefinitions ?? []) : [];
          const container = containers.find((c) => c.name === name) ?? (containers.length === 1 ? containers[0] : undefined);
          return {
            id: d.id ?? "?",
            status: d.status ?? "?",
            rolloutState: d.rolloutState,
            taskDefinition,
            runningCount: d.runningCount ?? 0,
            desiredCount: d.desiredCount ?? 0,
            image: container?.image,
          };
        }),
      );
      return { service: name, status: svc.status, deployments };
    }),
  );
}

export async function checkDeployedDigests(ecs: EcsReader, cluster: string, approved: Record<string, string>, services: string[]): Promise<DigestCheckReport> {
  return compareDigests(approved, await observeServices(ecs, cluster, services));
}
