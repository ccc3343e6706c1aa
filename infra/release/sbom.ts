/**
 * The SBOM of the backend artifact, derived from package-lock.json alone: CycloneDX 1.6 JSON of
 * the packages a production install of the backend workspace gets (`npm ci --omit=dev`), resolved
 * the way Node resolves them inside the lockfile's tree.
 *
 * Nothing is read from node_modules, so the bytes depend only on the lockfile and the release
 * version: the first run after `npm ci`, a re-run and another machine write the same file (a tool
 * that asks npm about the installed tree flips development/optional flags when npm rewrites its
 * hidden lockfile). Its subject (metadata.component) is the release, at the release's version.
 */
import { createHash } from "node:crypto";

/** The platform the image runs on (linux/amd64 Fargate): platform-specific optional packages for others are not in it. */
export const TARGET_PLATFORM = { os: "linux", cpu: "x64" } as const;

interface LockPackage {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  os?: string[];
  cpu?: string[];
  /** npm's own flags: read by nothing here (they change as npm rewrites the lockfile). */
  dev?: boolean;
  optional?: boolean;
}

export interface PackageLock {
  lockfileVersion?: number;
  packages?: Record<string, LockPackage>;
}

export class SbomError extends Error {
  override readonly name = "SbomError";
}

export interface SbomInput {
  lock: PackageLock;
  /** sha256 of the lockfile bytes, recorded in the SBOM. */
  lockfileSha256: string;
  /** The workspace the artifact is built from, as the lockfile keys it ("backend"). */
  workspace: string;
  /** The release version: the SBOM's subject. */
  version: string;
  /** The tool that wrote it (name, version). */
  tool: { name: string; version: string };
}

/** `node_modules/a/node_modules/@s/b` → `node_modules/a`; a workspace or top-level package → the root "". */
function parentLocation(location: string): string {
  const i = location.lastIndexOf("node_modules/");
  return i <= 0 ? "" : location.slice(0, i - 1);
}

/** Node's resolution inside the lockfile: the nearest `node_modules/<name>` walking up from `from`. */
function resolve(packages: Record<string, LockPackage>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = parentLocation(dir)) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    const entry = packages[candidate];
    if (entry) return entry.link && entry.resolved !== undefined ? entry.resolved : candidate;
    if (dir === "") return undefined;
  }
}

const onPlatform = (p: LockPackage) => (!p.os || matches(p.os, TARGET_PLATFORM.os)) && (!p.cpu || matches(p.cpu, TARGET_PLATFORM.cpu));
function matches(list: string[], value: string): boolean {
  const denied = list.filter((x) => x.startsWith("!")).map((x) => x.slice(1));
  const allowed = list.filter((x) => !x.startsWith("!"));
  return !denied.includes(value) && (allowed.length === 0 || allowed.includes(value));
}

function nameAt(location: string, entry: LockPackage): string {
  if (entry.name) return entry.name;
  const i = location.lastIndexOf("node_modules/");
  return location.slice(i + "node_modules/".length);
}

function purl(name: string, version: string): string {
  const [group, base] = name.startsWith("@") ? [name.slice(0, name.indexOf("/")), name.slice(name.indexOf("/") + 1)] : [undefined, name];
  return `pkg:npm/${group ? `${encodeURIComponent(group)}/` : ""}${encodeURIComponent(base)}@${encodeURIComponent(version)}`;
}

/** npm's SRI integrity (`sha512-<base64>`) as CycloneDX hashes. */
function hashes(integrity: string | undefined): { alg: string; content: string }[] {
  const algs: Record<string, string> = { sha512: "SHA-512", sha384: "SHA-384", sha256: "SHA-256", sha1: "SHA-1" };
  return (integrity ?? "")
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((sri) => {
      const [alg, b64] = [sri.slice(0, sri.indexOf("-")), sri.slice(sri.indexOf("-") + 1)];
      return algs[alg] ? [{ alg: algs[alg]!, content: Buffer.from(b64, "base64").toString("hex") }] : [];
    });
}

function licenses(license: string | undefined): unknown[] | undefined {
  if (!license) return undefined;
  // A single SPDX identifier is an id; anything else (AND/OR/WITH, UNLICENSED, custom text) an expression or a name.
  if (/^[A-Za-z0-9.+-]+$/.test(license) && !/^(UNLICENSED|SEE LICENSE)/i.test(license)) return [{ license: { id: license } }];
  if (/\b(AND|OR|WITH)\b/.test(license)) return [{ expression: license }];
  return [{ license: { name: license } }];
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The CycloneDX document (plain data; render with `renderSbom`). */
export function sbomFromLockfile(input: SbomInput): Record<string, unknown> {
  const packages = input.lock.packages;
  if (!packages || (input.lock.lockfileVersion ?? 0) < 2) throw new SbomError("package-lock.json has no `packages` map (lockfileVersion 2 or 3 is needed; run npm install with npm 7 or later)");
  const root = packages[input.workspace];
  if (!root?.name) throw new SbomError(`package-lock.json has no workspace "${input.workspace}"`);

  // Breadth-first over what a production install of the workspace gets.
  const seen = new Map<string, { name: string; entry: LockPackage; deps: Set<string> }>();
  const queue: string[] = [input.workspace];
  const edges = new Map<string, Set<string>>();
  while (queue.length > 0) {
    const location = queue.shift()!;
    const entry = packages[location]!;
    const wanted = [
      ...Object.keys(entry.dependencies ?? {}).map((n) => [n, true] as const),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n) => [n, false] as const),
      ...Object.keys(entry.peerDependencies ?? {})
        .filter((n) => !entry.peerDependenciesMeta?.[n]?.optional)
        .map((n) => [n, true] as const),
    ];
    const deps = new Set<string>();
    for (const [name, required] of wanted) {
      const at = resolve(packages, location, name);
      const dep = at === undefined ? undefined : packages[at];
      if (at === undefined || !dep) {
        if (required) throw new SbomError(`package-lock.json: "${name}", required by ${location || "the root"}, is not in the lockfile (run npm install and commit the lockfile)`);
        continue;
      }
      if (!onPlatform(dep)) continue;
      deps.add(at);
      if (!seen.has(at) && at !== input.workspace) {
        seen.set(at, { name: nameAt(at, dep), entry: dep, deps: new Set() });
        queue.push(at);
      }
    }
    edges.set(location, deps);
  }

  const refOf = (location: string) => (location === input.workspace ? purl(root.name!, input.version) : purl(seen.get(location)!.name, seen.get(location)!.entry.version ?? "0.0.0"));
  const components = new Map<string, Record<string, unknown>>();
  for (const [, { name, entry }] of seen) {
    const version = entry.version ?? "0.0.0";
    const ref = purl(name, version);
    if (components.has(ref)) continue; // the same package at two places in the tree is one component
    const scoped = name.startsWith("@");
    components.set(ref, {
      type: "library",
      "bom-ref": ref,
      ...(scoped ? { group: name.slice(0, name.indexOf("/")), name: name.slice(name.indexOf("/") + 1) } : { name }),
      version,
      scope: "required",
      ...(hashes(entry.integrity).length ? { hashes: hashes(entry.integrity) } : {}),
      ...(licenses(entry.license) ? { licenses: licenses(entry.license) } : {}),
      purl: ref,
      ...(entry.resolved ? { externalReferences: [{ type: "distribution", url: entry.resolved }] } : {}),
    });
  }
  const dependencies = new Map<string, Set<string>>();
  for (const [location, deps] of edges) {
    const ref = refOf(location);
    const set = dependencies.get(ref) ?? new Set<string>();
    for (const d of deps) set.add(refOf(d));
    dependencies.set(ref, set);
  }
  const subject = root.name;
  const subjectRef = purl(subject, input.version);
  const doc: Record<string, unknown> = {
    $schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    version: 1,
    metadata: {
      tools: { components: [{ type: "application", name: input.tool.name, version: input.tool.version, description: "SBOM derived from package-lock.json (production install of the backend workspace)" }] },
      component: {
        type: "application",
        "bom-ref": subjectRef,
        ...(subject.startsWith("@") ? { group: subject.slice(0, subject.indexOf("/")), name: subject.slice(subject.indexOf("/") + 1) } : { name: subject }),
        version: input.version,
        purl: subjectRef,
      },
      properties: [
        { name: "backend-release:lockfile-sha256", value: input.lockfileSha256 },
        { name: "backend-release:target-platform", value: `${TARGET_PLATFORM.os}/${TARGET_PLATFORM.cpu}` },
      ],
    },
    components: [...components.keys()].sort(byCodeUnit).map((k) => components.get(k)!),
    dependencies: [...dependencies.keys()].sort(byCodeUnit).map((ref) => ({ ref, dependsOn: [...dependencies.get(ref)!].sort(byCodeUnit) })),
  };
  // A serial number derived from the content: unique per distinct SBOM, the same on every run.
  const digest = createHash("sha256").update(JSON.stringify(doc)).digest("hex");
  const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${((parseInt(digest[16]!, 16) & 0x3) | 0x8).toString(16)}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
  return { ...doc, serialNumber: `urn:uuid:${uuid}` };
}

export function renderSbom(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
