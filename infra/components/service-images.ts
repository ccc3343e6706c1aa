/**
 * Container images, pinned by digest.
 *
 * One ECR repository per service (immutable tags, scan on push, KMS, a lifecycle policy that
 * keeps the release history). A `build` stack builds each service's Dockerfile (its own `build`
 * or the shared one) and deploys the digest the registry returned; a `promote` stack builds
 * nothing and deploys the digest a non-production stack validated (promotion:
 * the pipeline copies that manifest into prod's repository, which keeps the digest).
 * Every consumer gets `repository@sha256:<64 hex>`, never a tag.
 */
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { serviceBuild } from "../../config/units";
import type { StackContext } from "../context";

export const IMAGE_REF_PATTERN = /^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9/_-]+@sha256:[0-9a-f]{64}$/;

/** Release tags (`v1.4.0-g<sha>`) are kept for the last 100 releases; untagged layers expire after 14 days. */
export const ECR_LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    { rulePriority: 1, description: "Expire untagged images after 14 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }, action: { type: "expire" } },
    { rulePriority: 2, description: "Keep the last 100 release images", selection: { tagStatus: "tagged", tagPrefixList: ["v"], countType: "imageCountMoreThan", countNumber: 100 }, action: { type: "expire" } },
  ],
});

/** A Docker provider logged in to the given ECR registries (account ids), for pull and push. */
function registryProvider(parent: pulumi.Resource, registryIds: pulumi.Input<string>[]): docker.Provider {
  const registryAuth = registryIds.map((registryId) => {
    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId }, { parent });
    return { address: auth.proxyEndpoint.apply((e) => e.replace(/^https:\/\//, "")), username: auth.userName, password: pulumi.secret(auth.password) };
  });
  return new docker.Provider("promotion-registries", { registryAuth }, { parent });
}

export interface ServiceImagesArgs {
  ctx: StackContext;
  kmsKeyArn: pulumi.Input<string>;
}

export class ServiceImages extends pulumi.ComponentResource {
  /** Per service: `repository@sha256:<digest>`. */
  readonly imageRefs: Record<string, pulumi.Output<string>> = {};
  /** Per service: `sha256:<digest>` alone (what sign-offs and the archive record). */
  readonly digests: Record<string, pulumi.Output<string>> = {};
  readonly repositories: Record<string, aws.ecr.Repository> = {};

  constructor(name: string, args: ServiceImagesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:images:ServiceImages", name, {}, opts);
    const { ctx } = args;
    const tag = `v${ctx.version}-g${ctx.gitSha.slice(0, 12)}`;
    let promotionProvider: docker.Provider | undefined;
    for (const svc of ctx.cfg.services) {
      const repo = new aws.ecr.Repository(
        `${svc.name}-repo`,
        {
          name: ctx.names.repository(svc.name),
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
          forceDelete: false,
          tags: ctx.tags({ service: svc.name, "data-classification": "internal" }),
        },
        { parent: this, ...ctx.stateful },
      );
      new aws.ecr.LifecyclePolicy(`${svc.name}-repo-lifecycle`, { repository: repo.name, policy: ECR_LIFECYCLE_POLICY }, { parent: this });
      this.repositories[svc.name] = repo;

      if (ctx.cfg.images.source === "build") {
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent: this });
        const image = new docker.Image(
          `${svc.name}-image`,
          {
            imageName: pulumi.interpolate`${repo.repositoryUrl}:${tag}`,
            build: {
              // Relative to the project root (Pulumi's working directory): the graph must not
              // depend on where the repository is checked out.
              context: serviceBuild(ctx.cfg, svc).context,
              dockerfile: serviceBuild(ctx.cfg, svc).dockerfile,
              platform: "linux/amd64",
              args: { APP_VERSION: ctx.version, GIT_SHA: ctx.gitSha, SERVICE_NAME: svc.name },
            },
            registry: { server: repo.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) },
          },
          { parent: this },
        );
        this.imageRefs[svc.name] = image.repoDigest;
        this.digests[svc.name] = image.repoDigest.apply((ref) => ref.slice(ref.indexOf("@") + 1));
      } else {
        const promote = ctx.cfg.images;
        const digest = promote.digests[svc.name]!;
        const source = `${promote.sourceRepositoryPrefix}/${svc.name}@${digest}`;
        // Build once: pull the exact image staging validated, tag it with this release, push it
        // into this stack's repository. A tagged image is kept by the lifecycle policy.
        const provider = (promotionProvider ??= registryProvider(this, [promote.sourceRepositoryPrefix.split(".")[0]!, repo.registryId]));
        const pulled = new docker.RemoteImage(`${svc.name}-promotion-source`, { name: source, platform: "linux/amd64", keepLocally: true }, { parent: this, provider });
        const tagged = new docker.Tag(`${svc.name}-promotion-tag`, { sourceImage: pulled.repoDigest, targetImage: pulumi.interpolate`${repo.repositoryUrl}:${tag}` }, { parent: this, provider });
        const pushed = new docker.RegistryImage(`${svc.name}-promotion`, { name: tagged.targetImage, keepRemotely: true, triggers: { digest } }, { parent: this, provider });
        this.imageRefs[svc.name] = pulumi.all([pushed.sha256Digest, repo.repositoryUrl]).apply(([pushedDigest, url]) => {
          // The digest is the identity sign-offs approved; a registry that rewrote the manifest fails the update.
          if (pushedDigest !== digest) throw new Error(`promoting ${svc.name}: the pushed image has digest ${pushedDigest}, not the approved ${digest}`);
          return `${url}@${digest}`;
        });
        this.digests[svc.name] = pulumi.output(digest);
      }
    }
    this.registerOutputs({ imageRefs: this.imageRefs, digests: this.digests });
  }
}
