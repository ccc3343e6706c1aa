/**
 * A MockMonitor that remembers everything the program asked the engine for.
 *
 * Plain `setMocks` only sees type, name and inputs; the options that matter to reviewers and
 * policies (protect, retainOnDelete, parent, dependencies, provider, source position) travel in
 * the RegisterResourceRequest, so we read them there before handing the call to the mock.
 */
import { pathToFileURL } from "node:url";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { REPO_ROOT } from "../../config/stack-file";
import type { DeploymentResource } from "./deployment";
import { OFFLINE_SECRET_CIPHERTEXT, SECRET_SIG, SIG_KEY } from "./deployment";

/** Our own minimal view of the generated gRPC request class (only the getters we read). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect?(): boolean | undefined;
  getRetainondelete?(): boolean | undefined;
  getDependenciesList(): string[];
  getProvider(): string;
  getDeletebeforereplace?(): boolean;
  getIgnorechangesList?(): string[];
  getReplaceonchangesList?(): string[];
  getAdditionalsecretoutputsList?(): string[];
  getDeletedwith?(): string;
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getSourceposition?(): { getUri(): string; getLine(): number; getColumn(): number } | undefined;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

type Callback = (err: unknown, response: unknown) => void;

const ROOT_URI = pathToFileURL(REPO_ROOT).href;

/** The engine records positions inside the project as `project://<relative path>`; so do we. */
function projectUri(uri: string): string {
  return uri.startsWith(`${ROOT_URI}/`) ? `project://${uri.slice(ROOT_URI.length + 1)}` : uri;
}

/** Secrets are kept as markers with no plaintext, the way `pulumi stack export` hides them. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return { [SIG_KEY]: SECRET_SIG, ciphertext: OFFLINE_SECRET_CIPHERTEXT };
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

export class RecordingMonitor extends MockMonitor {
  /** In registration order, keyed by URN. */
  readonly records = new Map<string, DeploymentResource>();
  private readonly pending = new Set<Promise<unknown>>();

  override async registerResource(req: RegisterRequest, callback: Callback): Promise<void> {
    const inputs = redactSecrets(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const pos = req.getSourceposition?.();
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      const urns = deps.getUrnsList();
      if (urns.length > 0) propertyDependencies[key] = urns;
    });
    const done = new Promise<void>((resolve) => {
      void super.registerResource(req, (err: unknown, response: unknown) => {
        if (!err && response) {
          const res = response as RegisterResponse;
          const urn = res.getUrn();
          const record: DeploymentResource = {
            urn,
            custom: req.getCustom(),
            type: req.getType(),
            inputs,
            outputs: redactSecrets(res.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
          };
          if (req.getCustom()) record.id = res.getId();
          if (req.getParent()) record.parent = req.getParent();
          if (req.getProvider()) record.provider = req.getProvider();
          const deps = req.getDependenciesList();
          if (deps.length > 0) record.dependencies = [...new Set(deps)];
          if (Object.keys(propertyDependencies).length > 0) record.propertyDependencies = propertyDependencies;
          if (req.getProtect?.()) record.protect = true;
          if (req.getRetainondelete?.()) record.retainOnDelete = true;
          if (req.getDeletebeforereplace?.()) record.deleteBeforeReplace = true;
          if (req.getDeletedwith?.()) record.deletedWith = req.getDeletedwith();
          const ignore = req.getIgnorechangesList?.() ?? [];
          if (ignore.length > 0) record.ignoreChanges = ignore;
          const replaceOn = req.getReplaceonchangesList?.() ?? [];
          if (replaceOn.length > 0) record.replaceOnChanges = replaceOn;
          const extraSecrets = req.getAdditionalsecretoutputsList?.() ?? [];
          if (extraSecrets.length > 0) record.additionalSecretOutputs = extraSecrets;
          if (pos && pos.getUri()) record.sourcePosition = `${projectUri(pos.getUri())}#${pos.getLine()},${pos.getColumn()}`;
          this.records.set(urn, record);
        }
        callback(err, response);
        resolve();
      });
    });
    this.track(done);
    await done;
  }

  override registerResourceOutputs(req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined }, callback: Callback): void {
    const record = this.records.get(req.getUrn());
    if (record) record.outputs = redactSecrets(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
    super.registerResourceOutputs(req, callback);
  }

  constructor(
    mocks: ConstructorParameters<typeof MockMonitor>[0],
    projectName: string,
    stackName: string,
  ) {
    super(mocks);
    // The real engine's URN type is the whole parent chain (`a$b$c`); MockMonitor keeps only the
    // parent's last type. Its `newUrn` is private in the typings, so it is replaced on the instance.
    Object.assign(this, {
      newUrn: (parent: string, type: string, name: string): string => {
        const parentType = parent ? (parent.split("::")[2] ?? "") : "";
        // Children of the root stack resource are not prefixed with its type, as in the engine.
        const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
        return `urn:pulumi:${stackName}::${projectName}::${qualified}::${name}`;
      },
    });
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when no registration is in flight (the program may register more as outputs resolve). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
