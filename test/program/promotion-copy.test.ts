/**
 * Issue 15 item 2: the promotion copy is registry to registry, by digest, with no Docker daemon.
 * Tested against two in-process OCI distribution registries (the API ECR serves), with auth,
 * redirected blob downloads and immutable tags.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyImage, MANIFEST_TYPES, parseImageReference, RegistryCopyError, type RepositoryRef } from "../../infra/promotion/registry-copy";

const sha = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; type: string }>();
  readonly tags = new Map<string, string>();
  readonly uploads = new Map<string, Buffer[]>();
  readonly log: string[] = [];
  private server!: Server;
  baseUrl = "";

  constructor(private readonly authorization: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private async body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.baseUrl);
    this.log.push(`${req.method} ${url.pathname}`);
    // Storage behind the redirect: no auth, like S3 presigned URLs.
    const storage = /^\/storage\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (storage) {
      if (req.headers.authorization) return void res.writeHead(400).end("credentials sent to storage");
      return void res.writeHead(200).end(this.blobs.get(storage[1]!));
    }
    if (req.headers.authorization !== this.authorization) return void res.writeHead(401).end("unauthorized");
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(url.pathname);
    if (upload) {
      if (req.method === "POST") {
        const id = randomUUID();
        this.uploads.set(id, []);
        return void res.writeHead(202, { location: `/v2/${upload[1]}/blobs/uploads/${id}` }).end();
      }
      const parts = this.uploads.get(upload[2]!);
      if (!parts) return void res.writeHead(404).end();
      parts.push(await this.body(req));
      if (req.method === "PATCH") return void res.writeHead(202, { location: `/v2/${upload[1]}/blobs/uploads/${upload[2]}` }).end();
      const data = Buffer.concat(parts);
      const digest = url.searchParams.get("digest")!;
      if (sha(data) !== digest) return void res.writeHead(400).end("DIGEST_INVALID");
      this.blobs.set(digest, data);
      return void res.writeHead(201).end();
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m) return void res.writeHead(404).end();
    const [, , kind, ref] = m;
    if (kind === "blobs") {
      if (!this.blobs.has(ref!)) return void res.writeHead(404).end();
      if (req.method === "HEAD") return void res.writeHead(200).end();
      // Another origin, as S3 is for ECR: the client must not send the registry's credentials there.
      return void res.writeHead(307, { location: `${this.baseUrl.replace("127.0.0.1", "localhost")}/storage/${ref}` }).end();
    }
    if (req.method === "PUT") {
      const bytes = await this.body(req);
      const digest = sha(bytes);
      if (!ref!.startsWith("sha256:")) {
        const existing = this.tags.get(ref!);
        if (existing && existing !== digest) return void res.writeHead(400).end("TAG_INVALID: immutable");
        this.tags.set(ref!, digest);
      }
      this.manifests.set(digest, { bytes, type: String(req.headers["content-type"]) });
      return void res.writeHead(201, { "docker-content-digest": digest }).end();
    }
    const digest = ref!.startsWith("sha256:") ? ref! : this.tags.get(ref!);
    const manifest = digest ? this.manifests.get(digest) : undefined;
    if (!manifest) return void res.writeHead(404).end();
    return void res.writeHead(200, { "content-type": manifest.type, "docker-content-digest": digest! }).end(manifest.bytes);
  }

  /** Pushes a single-platform image wrapped in an index, as BuildKit does; returns the index digest. */
  seed(): string {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux" }));
    const layers = [Buffer.from("layer one"), Buffer.from("layer two")];
    for (const b of [config, ...layers]) this.blobs.set(sha(b), b);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociManifest, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length }, layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(l), size: l.length })) }, null, 3));
    this.manifests.set(sha(manifest), { bytes: manifest, type: MANIFEST_TYPES.ociManifest });
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociIndex, manifests: [{ mediaType: MANIFEST_TYPES.ociManifest, digest: sha(manifest), size: manifest.length, platform: { architecture: "amd64", os: "linux" } }] }));
    this.manifests.set(sha(index), { bytes: index, type: MANIFEST_TYPES.ociIndex });
    return sha(index);
  }
}

const source = new FakeRegistry("Basic c291cmNl");
const target = new FakeRegistry("Basic dGFyZ2V0");
let digest: string;
let from: RepositoryRef;
let to: RepositoryRef;

beforeAll(async () => {
  await source.start();
  await target.start();
  digest = source.seed();
  from = { registry: { baseUrl: source.baseUrl, authorization: "Basic c291cmNl" }, repository: "backend-release/staging/orders-api" };
  to = { registry: { baseUrl: target.baseUrl, authorization: "Basic dGFyZ2V0" }, repository: "backend-release/prod/orders-api" };
});
afterAll(async () => {
  await source.stop();
  await target.stop();
});

describe("registry-to-registry promotion", () => {
  it("copies the image byte for byte: same digest, every blob, tagged by its digest", async () => {
    const tag = digest.replace(":", "-");
    const result = await copyImage(from, digest, to, tag);
    expect(result).toEqual({ digest, blobsCopied: 3, blobsPresent: 0, tagged: true });
    expect(target.tags.get(tag)).toBe(digest);
    for (const [d, m] of source.manifests) expect(target.manifests.get(d)?.bytes.equals(m.bytes)).toBe(true);
    for (const [d, b] of source.blobs) expect(target.blobs.get(d)?.equals(b)).toBe(true);
  });

  it("is a no-op when re-run (fresh runner, new commit, same digest): nothing is pushed", async () => {
    const before = target.log.length;
    const result = await copyImage(from, digest, to, digest.replace(":", "-"));
    expect(result).toEqual({ digest, blobsCopied: 0, blobsPresent: 0, tagged: false });
    expect(target.log.slice(before).filter((l) => !l.startsWith("GET"))).toEqual([]);
  });

  it("refuses a tag that already names another image, a source that is not what its digest says, a missing image", async () => {
    target.tags.set("sha256-taken", [...target.manifests.keys()][0]!);
    await expect(copyImage(from, digest, to, "sha256-taken")).rejects.toThrow(/already points at sha256:[0-9a-f]{64}, not sha256:/);
    const missing = `sha256:${"0".repeat(64)}`;
    await expect(copyImage(from, missing, to, "t-missing")).rejects.toThrow(/does not exist in the source registry/);
    const [blobDigest] = [...source.blobs.keys()];
    const tampered = new FakeRegistry("Basic c291cmNl");
    await tampered.start();
    try {
      const d = tampered.seed();
      tampered.blobs.set(blobDigest!, Buffer.from("not the layer"));
      const fresh = { registry: { baseUrl: (await freshTarget()).baseUrl, authorization: "Basic dGFyZ2V0" }, repository: "r" };
      await expect(copyImage({ ...from, registry: { ...from.registry, baseUrl: tampered.baseUrl } }, d, fresh, "t")).rejects.toThrow(RegistryCopyError);
    } finally {
      await tampered.stop();
      await Promise.all(extra.map((r) => r.stop()));
    }
    await expect(copyImage({ ...from, registry: { baseUrl: source.baseUrl, authorization: "Basic wrong" } }, digest, to, "t2")).rejects.toThrow(/HTTP 401/);
  });

  it("parses the references the stack hands it", () => {
    expect(parseImageReference(`111122223333.dkr.ecr.eu-central-1.amazonaws.com/backend-release/staging/orders-api@${"sha256:" + "a".repeat(64)}`)).toEqual({ host: "111122223333.dkr.ecr.eu-central-1.amazonaws.com", repository: "backend-release/staging/orders-api", digest: `sha256:${"a".repeat(64)}` });
    expect(() => parseImageReference("orders-api:latest")).toThrow(RegistryCopyError);
  });
});

const extra: FakeRegistry[] = [];
async function freshTarget(): Promise<FakeRegistry> {
  const r = new FakeRegistry("Basic dGFyZ2V0");
  await r.start();
  extra.push(r);
  return r;
}
