/**
 * Container images, pinned by digest.
 *
 * One ECR repository per service (immutable tags, scan on push, KMS, a lifecycle policy that
 * keeps the release history). A `build` stack builds each service's Dockerfile (its own `build`
 * or the shared one), tagged from its build inputs (not the commit), and deploys the digest the
 * registry returned; its repositories let the promoting accounts pull (`images.pullAccounts`).
 * A `promote` stack builds nothing: a local command copies the approved digest registry to
 * registry from the build stack's repository into its own (no Docker daemon, no local image), tag
 * `sha256-<hex>`, and deploys that digest. Re-running at any commit with the same digest changes
 * nothing. Every consumer gets `repository@sha256:<64 hex>`, never a tag.
 */
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { serviceBuild } from "../../config/units";
import type { StackContext } from "../context";
import { buildInputHash } from "./build-inputs";

export const IMAGE_REF_PATTERN = /^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9/_-]+@sha256:[0-9a-f]{64}$/;

/** Tags of builds (`v<version>-b<inputs>`) and promotions (`sha256-<digest>`); the lifecycle policy keeps the last 100. */
export const RELEASE_TAG_PREFIXES = ["v", "sha256-"];

/** Release images are kept for the last 100 releases; untagged layers expire after 14 days. */
export const ECR_LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    { rulePriority: 1, description: "Expire untagged images after 14 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }, action: { type: "expire" } },
    { rulePriority: 2, description: "Keep the last 100 release images", selection: { tagStatus: "tagged", tagPrefixList: RELEASE_TAG_PREFIXES, countType: "imageCountMoreThan", countNumber: 100 }, action: { type: "expire" } },
  ],
});

/** What a promoting account may do in a build stack's repository: read layers and manifests, nothing else. */
export const CROSS_ACCOUNT_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

/** The tag a build gets: the release version and its build inputs' hash (the same inputs, the same tag). */
export function buildTag(version: string, inputHash: string): string {
  return `v${version}-b${inputHash.slice(0, 12)}`;
}

/** The tag a promoted image gets in the promoting stack's repository: its digest, nothing else. */
export function promotionTag(digest: string): string {
  return digest.replace(":", "-");
}

/** The build stack's registry account, from `images.sourceRepositoryPrefix`. */
export function sourceRegistryAccount(prefix: string): string {
  return prefix.split(".")[0]!;
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
    const images = ctx.cfg.images;
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

      if (images.source === "build") {
        if (images.pullAccounts.length > 0) {
          // The promoting stacks copy from here with their own identities: pull only, their accounts only.
          new aws.ecr.RepositoryPolicy(
            `${svc.name}-repo-pull`,
            {
              repository: repo.name,
              policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Sid: "PromotingAccountsPull", Effect: "Allow", Principal: { AWS: images.pullAccounts.map((a) => `arn:aws:iam::${a}:root`) }, Action: CROSS_ACCOUNT_PULL_ACTIONS }],
              }),
            },
            { parent: this },
          );
        }
        const build = serviceBuild(ctx.cfg, svc);
        const settings = { platform: "linux/amd64", args: { SERVICE_NAME: svc.name } };
        const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repo.registryId }, { parent: this });
        const image = new docker.Image(
          `${svc.name}-image`,
          {
            imageName: pulumi.interpolate`${repo.repositoryUrl}:${buildTag(ctx.version, buildInputHash(build, settings))}`,
            build: {
              // Relative to the project root (Pulumi's working directory): the graph must not
              // depend on where the repository is checked out.
              context: build.context,
              dockerfile: build.dockerfile,
              ...settings,
            },
            registry: { server: repo.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) },
          },
          { parent: this },
        );
        this.imageRefs[svc.name] = image.repoDigest;
        this.digests[svc.name] = image.repoDigest.apply((ref) => ref.slice(ref.indexOf("@") + 1));
      } else {
        const digest = images.digests[svc.name]!;
        // Build once: the exact bytes the build stack validated, copied by digest into this
        // stack's repository (tagged, so the lifecycle policy keeps it). Runs again only when the
        // digest or the target repository changes; the copy itself skips what is already there.
        const copy = new command.local.Command(
          `${svc.name}-promotion`,
          {
            create: "node --import tsx infra/promotion/copy-image.ts",
            environment: {
              AWS_REGION: ctx.region,
              PROMOTION_SOURCE: `${images.sourceRepositoryPrefix}/${svc.name}@${digest}`,
              PROMOTION_TARGET: repo.repositoryUrl,
              PROMOTION_TAG: promotionTag(digest),
            },
            triggers: [digest],
            logging: "stderr",
          },
          { parent: this },
        );
        // Through the copy's output, so every consumer waits for the image to be in this registry.
        this.imageRefs[svc.name] = pulumi.all([repo.repositoryUrl, copy.stdout]).apply(([url]) => `${url}@${digest}`);
        this.digests[svc.name] = pulumi.output(digest);
      }
    }
    this.registerOutputs({ imageRefs: this.imageRefs, digests: this.digests });
  }
}
