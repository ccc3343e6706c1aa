/**
 * Deployment resources → the analyzer's request messages, marshalled the way the Pulumi CLI does
 * (sdk/go/common/resource/plugin: MarshalProperties with KeepUnknowns, KeepSecrets,
 * SkipInternalKeys; no resource references, no output values). Analyze sees a resource's inputs;
 * AnalyzeStack sees its final state (pkg/engine: "AnalyzeStack uses Outputs (final state)"). A
 * recorded graph or a stack export holds last known outputs, so by default AnalyzeStack gets the
 * planned state a preview would compute: the outputs with the known inputs laid over them (a
 * changed input is judged as it will be after the update; computed outputs such as ARNs stay).
 * Providers and pending deletes are not analyzed.
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { SECRET_SIG, SIG_KEY, UNKNOWN, urnName, type DeploymentResource } from "../../preview/deployment";

const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8b";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

export type StackProperties = "planned" | "outputs" | "inputs";

function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** One property value as the CLI would put it on the wire. */
export function marshalValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(marshalValue);
  if (v === null || typeof v !== "object") return v;
  const obj = v as Record<string, unknown>;
  switch (obj[SIG_KEY]) {
    case SECRET_SIG:
      if ("value" in obj) return secret(marshalValue(obj.value));
      if (typeof obj.plaintext === "string") return secret(marshalValue(JSON.parse(obj.plaintext)));
      // An encrypted secret (a live export without --show-secrets, or our preview's marker):
      // its value is not known here, so policies reading it get the analyzer's unknown semantics.
      return secret(UNKNOWN);
    case RESOURCE_SIG:
      // Without KeepResources the CLI downgrades a reference to the resource's id, else its URN.
      return typeof obj.id === "string" && obj.id !== "" ? obj.id : obj.urn;
    case OUTPUT_SIG: {
      const value = "value" in obj ? marshalValue(obj.value) : UNKNOWN;
      return obj.secret === true ? secret(value) : value;
    }
    case undefined:
      return marshalProperties(obj);
    default:
      return obj; // assets and archives travel as they are
  }
}

/** A value a preview does not know yet (or a secret wrapping one). */
function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG && (v as Record<string, unknown>).value === UNKNOWN;
}

/** Outputs with every known input laid over them: the state a preview plans for the resource. */
export function plannedProperties(r: DeploymentResource): Record<string, unknown> {
  const planned = marshalProperties(r.outputs);
  for (const [k, v] of Object.entries(marshalProperties(r.inputs))) if (!isUnknown(v)) planned[k] = v;
  return planned;
}

/** An object's properties, without internal `__` keys and undefined values. */
export function marshalProperties(props: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props ?? {})) {
    if (k.startsWith("__") || v === undefined) continue;
    out[k] = marshalValue(v);
  }
  return out;
}

export function isProvider(r: DeploymentResource): boolean {
  return r.type.startsWith("pulumi:providers:");
}

/** Resources the CLI analyzes: everything but providers and pending deletes. */
export function analyzable(resources: DeploymentResource[]): DeploymentResource[] {
  return resources.filter((r) => !isProvider(r) && (r as { delete?: boolean }).delete !== true);
}

function options(r: DeploymentResource): analyzer.AnalyzerResourceOptions {
  const opts = new analyzer.AnalyzerResourceOptions();
  opts.setProtect(r.protect === true);
  opts.setIgnorechangesList(r.ignoreChanges ?? []);
  if (r.deleteBeforeReplace !== undefined) {
    opts.setDeletebeforereplace(r.deleteBeforeReplace);
    opts.setDeletebeforereplacedefined(true);
  }
  opts.setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? []);
  const aliases = (r as { aliases?: unknown }).aliases;
  opts.setAliasesList(Array.isArray(aliases) ? aliases.filter((a): a is string => typeof a === "string") : []);
  const timeouts = (r as { customTimeouts?: { create?: number; update?: number; delete?: number } }).customTimeouts;
  if (timeouts) {
    const ct = new analyzer.AnalyzerResourceOptions.CustomTimeouts();
    ct.setCreate(timeouts.create ?? 0);
    ct.setUpdate(timeouts.update ?? 0);
    ct.setDelete(timeouts.delete ?? 0);
    opts.setCustomtimeouts(ct);
  }
  if (r.parent) opts.setParent(r.parent);
  return opts;
}

/** Provider references are `<provider urn>::<provider id>`. */
export function providerUrn(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const cut = ref.lastIndexOf("::");
  return cut > 0 ? ref.slice(0, cut) : undefined;
}

export class RequestBuilder {
  private readonly providers = new Map<string, DeploymentResource>();

  constructor(resources: DeploymentResource[]) {
    for (const r of resources) if (isProvider(r)) this.providers.set(r.urn, r);
  }

  private provider(r: DeploymentResource): analyzer.AnalyzerProviderResource | undefined {
    const p = this.providers.get(providerUrn(r.provider) ?? "");
    if (!p) return undefined;
    const msg = new analyzer.AnalyzerProviderResource();
    msg.setUrn(p.urn);
    msg.setType(p.type);
    msg.setName(urnName(p.urn));
    msg.setProperties(Struct.fromJavaScript(marshalProperties(p.inputs) as never));
    return msg;
  }

  analyzeRequest(r: DeploymentResource): analyzer.AnalyzeRequest {
    const req = new analyzer.AnalyzeRequest();
    req.setUrn(r.urn);
    req.setType(r.type);
    req.setName(urnName(r.urn));
    req.setProperties(Struct.fromJavaScript(marshalProperties(r.inputs) as never));
    req.setOptions(options(r));
    const provider = this.provider(r);
    if (provider) req.setProvider(provider);
    return req;
  }

  stackResource(r: DeploymentResource, use: StackProperties): analyzer.AnalyzerResource {
    const res = new analyzer.AnalyzerResource();
    const hasOutputs = r.outputs !== undefined && Object.keys(r.outputs).length > 0;
    const props = !hasOutputs || use === "inputs" ? marshalProperties(r.inputs) : use === "outputs" ? marshalProperties(r.outputs) : plannedProperties(r);
    res.setUrn(r.urn);
    res.setType(r.type);
    res.setName(urnName(r.urn));
    res.setProperties(Struct.fromJavaScript(props as never));
    res.setOptions(options(r));
    const provider = this.provider(r);
    if (provider) res.setProvider(provider);
    if (r.parent) res.setParent(r.parent);
    res.setDependenciesList(r.dependencies ?? []);
    const deps = res.getPropertydependenciesMap();
    for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
      if (urns.length === 0) continue;
      const pd = new analyzer.AnalyzerPropertyDependencies();
      pd.setUrnsList(urns);
      deps.set(key, pd);
    }
    return res;
  }
}
