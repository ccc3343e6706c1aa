/**
 * Entry the promotion command of a `promote` stack executes during `pulumi up`
 * (`node --import tsx infra/promotion/copy-image.ts`): copies the approved digest from the build
 * stack's ECR repository into this stack's, registry to registry. Settings:
 *   PROMOTION_SOURCE  <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>
 *   PROMOTION_TARGET  <account>.dkr.ecr.<region>.amazonaws.com/<repository>
 *   PROMOTION_TAG     the tag to give it in the target
 *   AWS_REGION
 * The deploying identity needs ecr:GetAuthorizationToken, push rights on the target and the
 * source repository's pull grant (its policy lists this account: `images.pullAccounts`).
 * Prints the digest on success; exits 1 with one line on failure.
 */
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { copyImage, parseImageReference, RegistryCopyError, type Registry } from "./registry-copy";

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new RegistryCopyError(`${name} is not set (the stack's promotion command sets it)`);
  return v;
}

/** An ECR registry host is `<account>.dkr.ecr.<region>.amazonaws.com`; its token comes from GetAuthorizationToken. */
async function ecrRegistry(host: string, region: string): Promise<Registry> {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/.exec(host);
  if (!m) throw new RegistryCopyError(`${host} is not an ECR registry host <account>.dkr.ecr.<region>.amazonaws.com`);
  const client = new ECRClient({ region: m[2] ?? region });
  const out = await client.send(new GetAuthorizationTokenCommand({ registryIds: [m[1]!] }));
  const token = out.authorizationData?.[0]?.authorizationToken;
  if (!token) throw new RegistryCopyError(`ECR returned no authorization token for registry ${m[1]}`);
  return { baseUrl: `https://${host}`, authorization: `Basic ${token}` };
}

async function main(): Promise<void> {
  const region = required("AWS_REGION");
  const source = parseImageReference(required("PROMOTION_SOURCE"));
  const target = parseImageReference(required("PROMOTION_TARGET"));
  const tag = required("PROMOTION_TAG");
  if (!source.digest) throw new RegistryCopyError("PROMOTION_SOURCE must name the image by digest (…@sha256:<64 hex>)");
  const result = await copyImage(
    { registry: await ecrRegistry(source.host, region), repository: source.repository },
    source.digest,
    { registry: await ecrRegistry(target.host, region), repository: target.repository },
    tag,
  );
  console.error(result.tagged ? `copied ${result.blobsCopied} blob(s), ${result.blobsPresent} already there; tagged ${tag}` : `${target.repository}:${tag} already is ${result.digest}; nothing to copy`);
  console.log(result.digest);
}

main().catch((err: unknown) => {
  console.error(`promotion failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
