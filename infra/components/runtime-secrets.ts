/**
 * Runtime secrets in Secrets Manager, encrypted with the customer `data` key. Their values come
 * from secret stack config and stay secret Outputs end to end; containers receive them only
 * through `secrets[].valueFrom` (the ARN), never as plain environment variables.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isProductionTier } from "../../config/units";
import type { StackContext } from "../context";

export interface ContainerSecret {
  name: string;
  valueFrom: pulumi.Output<string>;
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
            // A production-tier secret deleted by mistake stays recoverable for the longest window.
            recoveryWindowInDays: isProductionTier(ctx.cfg) ? 30 : 7,
            tags: ctx.tags({ service: svc.name, "data-classification": "restricted", owner: ctx.cfg.tags.owner }),
          },
          { parent: this },
        );
        const version = new aws.secretsmanager.SecretVersion(
          `${resourceName}-value`,
          { secretId: secret.id, secretString: pulumi.secret(args.values.apply((v) => v[svc.name]?.[secretName] ?? "")) },
          { parent: secret },
        );
        // The version's ARN (same value as the secret's): a task referencing it waits for the value.
        this.byService[svc.name]!.push({ name: secretName, valueFrom: version.secretArn });
      }
    }
    this.registerOutputs({});
  }
}
