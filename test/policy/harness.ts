/**
 * Direct invocation of rules, without a server: builds the same arguments @pulumi/policy's
 * server builds (props behind its unknown-checking proxy, config with the schema's defaults,
 * `notApplicable` throwing) and collects what the rule reports.
 */
import { unknownCheckingProxy, type Policy, type PolicyResource, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { furn, type Fixture } from "./fixtures";

class NotApplicable extends Error {}
export const NOT_APPLICABLE = "not applicable";

function configFor(policy: Policy, overrides: Record<string, unknown>): Record<string, unknown> {
  const defaults = Object.entries(policy.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
  return { ...Object.fromEntries(defaults.map(([k, s]) => [k, (s as { default: unknown }).default])), ...overrides };
}

const optsOf = (f: Fixture) => ({ protect: f.protect === true, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } });
const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

/** Messages a resource rule reports for one fixture, or NOT_APPLICABLE. */
export async function resourceViolations(policy: ResourceValidationPolicy, f: Fixture, config: Record<string, unknown> = {}): Promise<string[] | typeof NOT_APPLICABLE> {
  const messages: string[] = [];
  const args = {
    type: f.type,
    props: unknownCheckingProxy(structuredClone(f.props)) as Record<string, unknown>,
    urn: furn(f),
    name: f.name,
    opts: optsOf(f),
    stackTags: new Map<string, string>(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => configFor(policy, config) as T,
    notApplicable,
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  try {
    for (const v of validations) await v(args, (message) => messages.push(typeof message === "string" ? message : String(message)));
  } catch (err) {
    if (err instanceof NotApplicable) return NOT_APPLICABLE;
    throw err;
  }
  return messages;
}

/** `{ message, urn }` a stack rule reports for a set of fixtures. */
export async function stackViolations(policy: StackValidationPolicy, fs: Fixture[], config: Record<string, unknown> = {}): Promise<Array<{ message: string; urn: string | undefined }>> {
  const resources = new Map<string, PolicyResource>();
  for (const f of fs) {
    resources.set(furn(f), {
      type: f.type,
      props: unknownCheckingProxy(structuredClone(f.props)) as Record<string, unknown>,
      urn: furn(f),
      name: f.name,
      opts: optsOf(f),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource);
  }
  for (const f of fs) {
    const r = resources.get(furn(f))!;
    r.dependencies = (f.dependencies ?? []).flatMap((u) => resources.get(u) ?? []);
    for (const [k, urns] of Object.entries(f.propertyDependencies ?? {})) r.propertyDependencies[k] = urns.flatMap((u) => resources.get(u) ?? []);
  }
  const out: Array<{ message: string; urn: string | undefined }> = [];
  await policy.validateStack(
    { resources: [...resources.values()], getConfig: <T extends object>() => configFor(policy, config) as T, stackTags: new Map(), notApplicable },
    (message, urn) => out.push({ message: typeof message === "string" ? message : String(message), urn }),
  );
  return out;
}
