/**
 * Runtime secrets in Secrets Manager, encrypted with the customer `data` key. Their values come
 * from secret stack config and stay secret Outputs end to end; containers receive them only
 * through `secrets[].valueFrom` (the ARN), never as plain environment variables.
 *
 * ECS reads a secret when a task starts, so a new value reaches only new tasks: each secret's
 * version id (not its value) goes into the task definition, and a changed value rolls the service.
 * Non-production secrets are deleted without a recovery window and replaced delete-first, so a
 * torn-down or replaced stack can create the same names again at once.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isProductionTier } from "../../config/units";
import type { StackContext } from "../context";

export interface ContainerSecret {
  name: string;
  valueFrom: pulumi.Output<string>;
  /** Secrets Manager's id of the current value: changes with the value, reveals nothing of it. */
  versionId: pulumi.Output<string>;
}

export interface RuntimeSecretsArgs {
  ctx: StackContext;
  kmsKeyArn: pulumi.Input<string>;
  values: pulumi.Output<Record<string, Record<string, string>>>;
}

export class RuntimeSecrets extends pulumi.ComponentResource {
  /** Per service: what goes into its container definition's `secrets`. */
  readonly byService: Record<string, ContainerSecret[]> = {};

  constructor(name: string, args: RuntimeSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:secrets:RuntimeSecrets", name, {}, opts);
    const { ctx } = args;
    for (const svc of ctx.cfg.services) {
      this.byService[svc.name] = [];
      for (const secretName of svc.secrets) {
        const resourceName = `${svc.name}-${secretName.toLowerCase().replace(/_/g, "-")}`;
        const secret = new aws.secretsmanager.Secret(
          resourceName,
          {
            name: ctx.names.runtimeSecret(svc.name, secretName),
            description: `${secretName} for ${svc.name} (${ctx.stack})`,
            kmsKeyId: args.kmsKeyArn,
            // A production-tier secret deleted by mistake stays recoverable for the longest window;
            // a disposable stack's is deleted at once, so its name can be created again.
            recoveryWindowInDays: ctx.names.disposable ? 0 : isProductionTier(ctx.cfg) ? 30 : 7,
            tags: ctx.tags({ service: svc.name, "data-classification": "restricted", owner: ctx.cfg.tags.owner }),
          },
          { parent: this, ...(ctx.names.disposable ? { deleteBeforeReplace: true } : {}) },
        );
        const version = new aws.secretsmanager.SecretVersion(
          `${resourceName}-value`,
          { secretId: secret.id, secretString: pulumi.secret(args.values.apply((v) => v[svc.name]?.[secretName] ?? "")) },
          { parent: secret },
        );
        // The version's ARN (same value as the secret's): a task referencing it waits for the value.
        this.byService[svc.name]!.push({ name: secretName, valueFrom: version.secretArn, versionId: version.versionId });
      }
    }
    this.registerOutputs({});
  }
}
