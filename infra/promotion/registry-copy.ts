/**
 * Copies an image by digest from one registry to another over the OCI distribution API, the way
 * `crane copy` does: no Docker daemon, no local image, so the result depends only on the two
 * registries. Manifests are pushed byte for byte (the digest is kept); blobs the target already
 * has are skipped, and a tag that already points at the digest is left alone, so a re-run is a
 * no-op. Every manifest and blob read is checked against its digest before it is pushed.
 */
import { createHash } from "node:crypto";

export const MANIFEST_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;
const ACCEPT = Object.values(MANIFEST_TYPES).join(", ");
const INDEX_TYPES: string[] = [MANIFEST_TYPES.ociIndex, MANIFEST_TYPES.dockerList];

export interface Registry {
  /** `https://<host>` (tests: `http://127.0.0.1:<port>`). */
  baseUrl: string;
  /** The `Authorization` header value (ECR: `Basic <token>`). */
  authorization?: string;
}

export interface RepositoryRef {
  registry: Registry;
  repository: string;
}

export class RegistryCopyError extends Error {
  override readonly name = "RegistryCopyError";
}

export interface CopyResult {
  digest: string;
  blobsCopied: number;
  blobsPresent: number;
  /** False when the tag already pointed at the digest (nothing pushed). */
  tagged: boolean;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** `<host>/<repository>@sha256:<hex>` or `<host>/<repository>` split into its parts. */
export function parseImageReference(ref: string): { host: string; repository: string; digest?: string } {
  const m = /^([a-z0-9.-]+(?::\d+)?)\/([a-z0-9._/-]+?)(?:@(sha256:[0-9a-f]{64}))?$/.exec(ref);
  if (!m) throw new RegistryCopyError(`not an image reference <host>/<repository>[@sha256:<64 hex>]: "${ref}"`);
  return { host: m[1]!, repository: m[2]!, ...(m[3] ? { digest: m[3] } : {}) };
}

export class RegistryClient {
  constructor(private readonly fetchImpl: typeof fetch = fetch) {}

  private async call(ref: RepositoryRef, path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const url = path.startsWith("http") ? path : `${ref.registry.baseUrl}/v2/${ref.repository}${path}`;
    const headers = { ...(init.headers ?? {}), ...(ref.registry.authorization ? { authorization: ref.registry.authorization } : {}) };
    return this.fetchImpl(url, { redirect: "follow", ...init, headers });
  }

  private async fail(what: string, res: Response): Promise<never> {
    const body = (await res.text().catch(() => "")).slice(0, 300);
    throw new RegistryCopyError(`${what}: HTTP ${res.status}${body ? ` ${body}` : ""}`);
  }

  async getManifest(ref: RepositoryRef, reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string } | undefined> {
    const res = await this.call(ref, `/manifests/${reference}`, { headers: { accept: ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) return this.fail(`reading manifest ${ref.repository}:${reference}`, res);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const digest = sha256(bytes);
    if (DIGEST.test(reference) && digest !== reference) throw new RegistryCopyError(`manifest ${ref.repository}@${reference} read back with digest ${digest}: refusing to copy it`);
    const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as { mediaType?: string };
    const mediaType = parsed.mediaType ?? res.headers.get("content-type")?.split(";")[0] ?? "";
    if (!(Object.values(MANIFEST_TYPES) as string[]).includes(mediaType)) throw new RegistryCopyError(`manifest ${ref.repository}@${reference} has unsupported media type "${mediaType}"`);
    return { bytes, mediaType, digest };
  }

  async hasBlob(ref: RepositoryRef, digest: string): Promise<boolean> {
    const res = await this.call(ref, `/blobs/${digest}`, { method: "HEAD" });
    if (res.status === 404) return false;
    if (!res.ok) return this.fail(`checking blob ${ref.repository}@${digest}`, res);
    return true;
  }

  async getBlob(ref: RepositoryRef, digest: string): Promise<Uint8Array> {
    // Registries redirect blob downloads to storage (ECR: a presigned S3 URL, which refuses a
    // second set of credentials): follow it ourselves, sending ours only to the registry's origin.
    let res = await this.call(ref, `/blobs/${digest}`, { redirect: "manual" });
    for (let hops = 0; res.status >= 300 && res.status < 400 && res.headers.get("location"); hops++) {
      if (hops === 5) throw new RegistryCopyError(`reading blob ${ref.repository}@${digest}: too many redirects`);
      const next = new URL(res.headers.get("location")!, ref.registry.baseUrl);
      res = next.origin === new URL(ref.registry.baseUrl).origin ? await this.call(ref, next.toString(), { redirect: "manual" }) : await this.fetchImpl(next, { redirect: "manual" });
    }
    if (!res.ok) return this.fail(`reading blob ${ref.repository}@${digest}`, res);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (sha256(bytes) !== digest) throw new RegistryCopyError(`blob ${ref.repository}@${digest} read back with digest ${sha256(bytes)}: refusing to copy it`);
    return bytes;
  }

  /** POST to open an upload, PATCH the bytes, PUT with the digest to commit (what ECR and distribution accept). */
  async putBlob(ref: RepositoryRef, digest: string, bytes: Uint8Array): Promise<void> {
    const start = await this.call(ref, "/blobs/uploads/", { method: "POST", headers: { "content-length": "0" } });
    if (start.status !== 202) return this.fail(`starting upload of ${digest} to ${ref.repository}`, start);
    const location = (res: Response) => {
      const loc = res.headers.get("location");
      if (!loc) throw new RegistryCopyError(`upload of ${digest} to ${ref.repository}: the registry sent no Location`);
      return new URL(loc, ref.registry.baseUrl).toString();
    };
    const patch = await this.call(ref, location(start), { method: "PATCH", headers: { "content-type": "application/octet-stream", "content-length": String(bytes.byteLength) }, body: bytes });
    if (patch.status !== 202) return this.fail(`uploading ${digest} to ${ref.repository}`, patch);
    const url = new URL(location(patch));
    url.searchParams.set("digest", digest);
    const done = await this.call(ref, url.toString(), { method: "PUT", headers: { "content-length": "0" } });
    if (done.status !== 201) return this.fail(`committing ${digest} to ${ref.repository}`, done);
  }

  async putManifest(ref: RepositoryRef, reference: string, manifest: { bytes: Uint8Array; mediaType: string; digest: string }): Promise<void> {
    const res = await this.call(ref, `/manifests/${reference}`, { method: "PUT", headers: { "content-type": manifest.mediaType }, body: manifest.bytes });
    if (res.status !== 201) return this.fail(`pushing manifest ${ref.repository}:${reference}`, res);
    const stored = res.headers.get("docker-content-digest");
    if (stored && stored !== manifest.digest) throw new RegistryCopyError(`the registry stored ${ref.repository}:${reference} as ${stored}, not ${manifest.digest}`);
  }
}

/** Copies `source@digest` into `target:tag` (children of an index by digest first). */
export async function copyImage(source: RepositoryRef, digest: string, target: RepositoryRef, tag: string, client = new RegistryClient()): Promise<CopyResult> {
  if (!DIGEST.test(digest)) throw new RegistryCopyError(`expected a digest sha256:<64 hex>, found "${digest}"`);
  const result: CopyResult = { digest, blobsCopied: 0, blobsPresent: 0, tagged: false };
  const existing = await client.getManifest(target, tag);
  if (existing) {
    if (existing.digest === digest) return result;
    throw new RegistryCopyError(`${target.repository}:${tag} already points at ${existing.digest}, not ${digest} (tags are immutable); nothing was pushed`);
  }
  const copyManifest = async (reference: string, pushAs: string) => {
    const manifest = await client.getManifest(source, reference);
    if (!manifest) throw new RegistryCopyError(`${source.repository}@${reference} does not exist in the source registry (expired, or never pushed there?)`);
    const doc = JSON.parse(Buffer.from(manifest.bytes).toString("utf8")) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
    if (INDEX_TYPES.includes(manifest.mediaType)) {
      for (const child of doc.manifests ?? []) await copyManifest(child.digest, child.digest);
    } else {
      for (const blob of [doc.config, ...(doc.layers ?? [])]) {
        if (!blob || !DIGEST.test(blob.digest)) throw new RegistryCopyError(`${source.repository}@${reference} lists a blob without a sha256 digest`);
        if (await client.hasBlob(target, blob.digest)) {
          result.blobsPresent++;
          continue;
        }
        await client.putBlob(target, blob.digest, await client.getBlob(source, blob.digest));
        result.blobsCopied++;
      }
    }
    await client.putManifest(target, pushAs, manifest);
  };
  await copyManifest(digest, tag);
  result.tagged = true;
  return result;
}
