/**
 * Runtime secrets in Secrets Manager, encrypted with the customer `data` key. Their values come
 * from secret stack config and stay secret Outputs end to end; containers receive them only
 * through `secrets[].valueFrom` (the ARN), never as plain environment variables.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
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
  /** Every secret ARN, for the execution roles' read permission. */
  readonly arns: Record<string, pulumi.Output<string>[]> = {};

  constructor(name: string, args: RuntimeSecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:secrets:RuntimeSecrets", name, {}, opts);
    const { ctx } = args;
    for (const svc of ctx.cfg.services) {
      this.byService[svc.name] = [];
      this.arns[svc.name] = [];
      for (const secretName of svc.secrets) {
        const secret = new aws.secretsmanager.Secret(
          `${svc.name}-${secretName.toLowerCase().replace(/_/g, "-")}`,
          {
            name: `backend-release/${ctx.stack}/${svc.name}/${secretName}`,
            description: `${secretName} for ${svc.name} (${ctx.stack})`,
            kmsKeyId: args.kmsKeyArn,
            recoveryWindowInDays: ctx.cfg.environment === "prod" ? 30 : 7,
            tags: ctx.tags({ service: svc.name, "data-classification": "restricted", owner: ctx.cfg.tags.owner }),
          },
          { parent: this },
        );
        new aws.secretsmanager.SecretVersion(
          `${svc.name}-${secretName.toLowerCase().replace(/_/g, "-")}-value`,
          { secretId: secret.id, secretString: pulumi.secret(args.values.apply((v) => v[svc.name]?.[secretName] ?? "")) },
          { parent: secret },
        );
        this.byService[svc.name]!.push({ name: secretName, valueFrom: secret.arn });
        this.arns[svc.name]!.push(secret.arn);
      }
    }
    this.registerOutputs({});
  }
}
