/**
 * Which input changes make the real provider REPLACE a resource, for every resource type the
 * program creates. The offline preview has no provider plugin, so this table is the provider's
 * knowledge written down, each entry with where it comes from:
 *
 * - pulumi-aws bridges the Terraform AWS provider: an attribute with `ForceNew: true` (SDKv2) or a
 *   `RequiresReplace` plan modifier (plugin framework) replaces; a resource without an Update
 *   function replaces on any change. Files are in hashicorp/terraform-provider-aws,
 *   internal/service/<service>/<file>.go.
 * - pulumi-datadog and pulumi-pagerduty bridge DataDog/terraform-provider-datadog and
 *   PagerDuty/terraform-provider-pagerduty the same way; pulumi-random bridges
 *   hashicorp/terraform-provider-random.
 * - @pulumi/command and @pulumi/docker are native providers: their own Diff decides.
 *
 * Paths are Pulumi input names (camelCase, as in the graph), dot-separated; list indices are
 * ignored (`deploymentController.type` covers `deploymentController[0].type`). A path covers
 * everything below it (`encryptionConfigurations` covers its `kmsKey`).
 *
 * Verdicts: "replace" — the provider replaces; "may replace" — whether it does depends on what
 * the offline preview cannot see (a CustomizeDiff over live state, a sub-field whose ForceNew-ness
 * the table does not pin down); "update" — changed in place (which may still mean downtime: see
 * `notes`). A type with no entry here is "may replace" on any change.
 */
export type Verdict = "replace" | "may replace" | "update";

/** What a conditional rule sees: the property's old and new value and the resource's new inputs. */
export interface RuleContext {
  old: unknown;
  new: unknown;
  inputs: Record<string, unknown>;
}

export interface TypeRule {
  /** Where this entry comes from (the provider source that decides it). */
  source: string;
  /** Every input change replaces (no Update in the provider), except the `inPlace` paths. */
  immutable?: boolean;
  /** Paths updated in place on an immutable resource (tags are updated through TagResource). */
  inPlace?: string[];
  /** Paths whose change replaces (ForceNew / RequiresReplace). */
  replace?: string[];
  /** Paths whose change may or may not replace (decided by the provider against live state). */
  mayReplace?: string[];
  /** Paths decided by value (a RequiresReplaceIf / CustomizeDiff the table can evaluate). */
  decide?: Record<string, (c: RuleContext) => Verdict>;
  /** What an in-place change of a path costs (downtime, reboot), shown beside it. */
  notes?: Record<string, string>;
}

const TF_AWS = "hashicorp/terraform-provider-aws internal/service";
const TF_DD = "DataDog/terraform-provider-datadog datadog";
const TF_PD = "PagerDuty/terraform-provider-pagerduty";

/** The S3 bucket-configuration resources: one bucket each (and its expected owner, where there is one), changed in place otherwise. */
const bucketConfig = (file: string, owner: boolean, extra: string[] = []): TypeRule => ({
  source: `${TF_AWS}/s3/${file}.go: bucket${owner ? ", expected_bucket_owner" : ""}${extra.length ? ", object_lock_enabled" : ""} ForceNew`,
  replace: ["bucket", ...(owner ? ["expectedBucketOwner"] : []), ...extra],
});

export const REPLACEMENT_RULES: Readonly<Record<string, TypeRule>> = {
  // ---- AWS (pulumi-aws 7 = Terraform AWS provider 6) ----
  "aws:acm/certificate:Certificate": {
    source: `${TF_AWS}/acm/certificate.go: domain_name, validation_method, key_algorithm, certificate_authority_arn, validation_option ForceNew; subject_alternative_names and options through CustomizeDiff`,
    replace: ["domainName", "validationMethod", "keyAlgorithm", "certificateAuthorityArn", "validationOptions"],
    mayReplace: ["subjectAlternativeNames", "options"],
  },
  "aws:acm/certificateValidation:CertificateValidation": {
    source: `${TF_AWS}/acm/certificate_validation.go: no Update; certificate_arn, validation_record_fqdns ForceNew`,
    immutable: true,
  },
  "aws:appautoscaling/policy:Policy": {
    source: `${TF_AWS}/appautoscaling/policy.go: name, resource_id, scalable_dimension, service_namespace ForceNew`,
    replace: ["name", "resourceId", "scalableDimension", "serviceNamespace"],
  },
  "aws:appautoscaling/target:Target": {
    source: `${TF_AWS}/appautoscaling/target.go: resource_id, scalable_dimension, service_namespace ForceNew`,
    replace: ["resourceId", "scalableDimension", "serviceNamespace"],
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    source: `${TF_AWS}/logs/group.go: name, name_prefix, log_group_class ForceNew (kms_key_id is associated in place)`,
    replace: ["name", "namePrefix", "logGroupClass"],
  },
  "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": {
    source: `${TF_AWS}/logs/subscription_filter.go: name, destination_arn, log_group_name ForceNew`,
    replace: ["name", "destinationArn", "logGroup"],
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    source: `${TF_AWS}/ec2/vpc_security_group.go: name, name_prefix, description, vpc_id ForceNew`,
    replace: ["name", "namePrefix", "description", "vpcId"],
  },
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
    source: `${TF_AWS}/ecr/lifecycle_policy.go: no Update; policy, repository ForceNew`,
    immutable: true,
  },
  "aws:ecr/repository:Repository": {
    source: `${TF_AWS}/ecr/repository.go: name, encryption_configuration (and its fields) ForceNew`,
    replace: ["name", "encryptionConfigurations"],
  },
  "aws:ecr/repositoryPolicy:RepositoryPolicy": {
    source: `${TF_AWS}/ecr/repository_policy.go: repository ForceNew`,
    replace: ["repository"],
  },
  "aws:ecs/cluster:Cluster": {
    source: `${TF_AWS}/ecs/cluster.go: name ForceNew`,
    replace: ["name"],
  },
  "aws:ecs/service:Service": {
    source: `${TF_AWS}/ecs/service.go: name, cluster, iam_role, launch_type, scheduling_strategy, deployment_controller.type ForceNew; switching launch_type and capacity_provider_strategy through CustomizeDiff`,
    replace: ["name", "cluster", "iamRole", "launchType", "schedulingStrategy", "deploymentController.type"],
    mayReplace: ["capacityProviderStrategies"],
    notes: { taskDefinition: "rolling deployment of new tasks" },
  },
  "aws:ecs/taskDefinition:TaskDefinition": {
    // Every argument but tags/skip_destroy/track_latest is ForceNew: a task definition revision is
    // immutable, so any change registers a new revision (and deregisters the old one).
    source: `${TF_AWS}/ecs/task_definition.go: all arguments ForceNew except tags, skip_destroy, track_latest`,
    immutable: true,
    inPlace: ["skipDestroy", "trackLatest"],
  },
  "aws:iam/role:Role": {
    source: `${TF_AWS}/iam/role.go: name, name_prefix, path ForceNew`,
    replace: ["name", "namePrefix", "path"],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    source: `${TF_AWS}/iam/role_policy.go: name, name_prefix, role ForceNew`,
    replace: ["name", "namePrefix", "role"],
  },
  "aws:kms/alias:Alias": {
    source: `${TF_AWS}/kms/alias.go: name, name_prefix ForceNew (target_key_id in place)`,
    replace: ["name", "namePrefix"],
  },
  "aws:kms/key:Key": {
    source: `${TF_AWS}/kms/key.go: customer_master_key_spec, key_usage, multi_region, custom_key_store_id, xks_key_id ForceNew`,
    replace: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
  },
  "aws:lambda/permission:Permission": {
    source: `${TF_AWS}/lambda/permission.go: no Update; every argument ForceNew`,
    immutable: true,
  },
  "aws:lb/listener:Listener": {
    source: `${TF_AWS}/elbv2/listener.go: load_balancer_arn ForceNew`,
    replace: ["loadBalancerArn"],
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    source: `${TF_AWS}/elbv2/load_balancer.go: name, name_prefix, internal, load_balancer_type, customer_owned_ipv4_pool ForceNew; subnets, subnet_mapping, security_groups of a network load balancer through CustomizeDiff`,
    replace: ["name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"],
    decide: Object.fromEntries(
      ["subnets", "subnetMappings", "securityGroups"].map((path) => [path, (c: RuleContext): Verdict => (c.inputs.loadBalancerType === "network" ? "may replace" : "update")]),
    ),
  },
  "aws:lb/targetGroup:TargetGroup": {
    source: `${TF_AWS}/elbv2/target_group.go: name, name_prefix, port, protocol, protocol_version, target_type, vpc_id, ip_address_type ForceNew`,
    replace: ["name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"],
  },
  "aws:rds/instance:Instance": {
    // identifier is renamed in place (ModifyDBInstance NewDBInstanceIdentifier) and
    // db_subnet_group_name moves the instance in place: neither is ForceNew in provider 6.
    source: `${TF_AWS}/rds/instance.go: availability_zone, backup_target, character_set_name, custom_iam_instance_profile, db_name, engine, kms_key_id, nchar_character_set_name, restore_to_point_in_time, s3_import, snapshot_identifier, storage_encrypted, timezone, username ForceNew; engine_version in place`,
    replace: [
      "availabilityZone",
      "backupTarget",
      "characterSetName",
      "customIamInstanceProfile",
      "dbName",
      "engine",
      "kmsKeyId",
      "ncharCharacterSetName",
      "restoreToPointInTime",
      "s3Import",
      "snapshotIdentifier",
      "storageEncrypted",
      "timezone",
      "username",
    ],
    notes: {
      // AWS RDS user guide, "Upgrading a DB instance engine version": upgrading the engine
      // requires downtime; ModifyDBInstance refuses a new major version without
      // AllowMajorVersionUpgrade. The provider modifies the instance; it does not replace it.
      engineVersion: "in-place engine upgrade: the instance restarts (downtime); a new major version needs allowMajorVersionUpgrade; applied in the maintenance window unless applyImmediately",
      instanceClass: "in-place resize: the instance restarts (Multi-AZ fails over)",
      identifier: "renamed in place: the endpoint changes",
      parameterGroupName: "static parameters apply only after a reboot",
      dbSubnetGroupName: "moves the instance to other subnets (downtime)",
    },
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    source: `${TF_AWS}/rds/parameter_group.go: name, name_prefix, family, description ForceNew`,
    replace: ["name", "namePrefix", "family", "description"],
    notes: { parameters: "static parameters apply only after the instance reboots" },
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    source: `${TF_AWS}/rds/subnet_group.go: name, name_prefix ForceNew`,
    replace: ["name", "namePrefix"],
  },
  "aws:route53/record:Record": {
    // type and set_identifier are changed by deleting and creating the record set in one change batch.
    source: `${TF_AWS}/route53/record.go: name, zone_id ForceNew`,
    replace: ["name", "zoneId"],
  },
  "aws:s3/bucket:Bucket": {
    source: `${TF_AWS}/s3/bucket.go: bucket, bucket_prefix, bucket_namespace, object_lock_enabled ForceNew`,
    replace: ["bucket", "bucketPrefix", "bucketNamespace", "objectLockEnabled"],
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": bucketConfig("bucket_lifecycle_configuration", true),
  "aws:s3/bucketLogging:BucketLogging": bucketConfig("bucket_logging", true),
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": bucketConfig("bucket_object_lock_configuration", true, ["objectLockEnabled"]),
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": bucketConfig("bucket_ownership_controls", false),
  "aws:s3/bucketPolicy:BucketPolicy": bucketConfig("bucket_policy", false),
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": bucketConfig("bucket_public_access_block", false),
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucketConfig("bucket_server_side_encryption_configuration", true),
  "aws:s3/bucketVersioning:BucketVersioning": bucketConfig("bucket_versioning", true),
  "aws:secretsmanager/secret:Secret": {
    source: `${TF_AWS}/secretsmanager/secret.go: name, name_prefix ForceNew`,
    replace: ["name", "namePrefix"],
  },
  "aws:secretsmanager/secretVersion:SecretVersion": {
    source: `${TF_AWS}/secretsmanager/secret_version.go: secret_id, secret_string, secret_binary ForceNew (version_stages in place)`,
    replace: ["secretId", "secretString", "secretBinary"],
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    source: `${TF_AWS}/ec2/vpc_security_group_ingress_rule.go (shared by the egress rule): security_group_id RequiresReplace; the rule itself is modified in place`,
    replace: ["securityGroupId"],
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    source: `${TF_AWS}/ec2/vpc_security_group_ingress_rule.go: security_group_id RequiresReplace; the rule itself is modified in place`,
    replace: ["securityGroupId"],
  },

  // ---- Datadog ----
  "datadog:index/dashboard:Dashboard": {
    source: `${TF_DD}/resource_datadog_dashboard.go: layout_type ForceNew`,
    replace: ["layoutType"],
  },
  "datadog:index/logsIndex:LogsIndex": {
    source: `${TF_DD}/resource_datadog_logs_index.go: name ForceNew`,
    replace: ["name"],
  },
  "datadog:index/monitor:Monitor": {
    source: `${TF_DD}/fwprovider/resource_datadog_monitor.go: type RequiresReplaceIf (not between "metric alert" and "query alert")`,
    decide: {
      type: (c) => {
        const pair = new Set([c.old, c.new]);
        return pair.has("metric alert") && pair.has("query alert") ? "update" : "replace";
      },
    },
  },
  "datadog:index/serviceLevelObjective:ServiceLevelObjective": {
    source: `${TF_DD}/resource_datadog_service_level_objective.go: type ForceNew`,
    replace: ["type"],
  },
  "datadog:pagerduty/serviceObject:ServiceObject": {
    source: `${TF_DD}/resource_datadog_integration_pagerduty_service_object.go: service_name ForceNew`,
    replace: ["serviceName"],
  },
  "datadog:slack/channel:Channel": {
    source: `${TF_DD}/resource_datadog_integration_slack_channel.go: account_name ForceNew`,
    replace: ["accountName"],
  },

  // ---- PagerDuty ----
  "pagerduty:index/escalationPolicy:EscalationPolicy": {
    source: `${TF_PD} pagerduty/resource_pagerduty_escalation_policy.go: no ForceNew`,
  },
  "pagerduty:index/schedule:Schedule": {
    source: `${TF_PD} pagerduty/resource_pagerduty_schedule.go: no ForceNew`,
  },
  "pagerduty:index/service:Service": {
    source: `${TF_PD} pagerduty/resource_pagerduty_service.go: no ForceNew`,
  },
  "pagerduty:index/serviceIntegration:ServiceIntegration": {
    source: `${TF_PD} pagerduty/resource_pagerduty_service_integration.go: service, type, vendor, email_filter ForceNew`,
    replace: ["service", "type", "vendor", "emailFilters"],
  },
  "pagerduty:index/team:Team": {
    source: `${TF_PD} pagerdutyplugin/resource_pagerduty_team.go: no RequiresReplace`,
  },
  "pagerduty:index/teamMembership:TeamMembership": {
    source: `${TF_PD} pagerdutyplugin/resource_pagerduty_team_membership.go: user_id, team_id RequiresReplace`,
    replace: ["userId", "teamId"],
  },

  // ---- native and other providers ----
  "command:local:Command": {
    // Other inputs re-run `update` (or `create` when there is no update command) in place.
    source: 'pulumi/pulumi-command provider/pkg/provider/common/inputs.go: triggers tagged provider:"replaceOnChanges"',
    replace: ["triggers"],
  },
  "docker:index/image:Image": {
    source: "pulumi/pulumi-docker provider/provider.go Diff: changes are DIFF_SOME without replaces (rebuild and push in place)",
  },
  "random:index/randomId:RandomId": {
    source: "hashicorp/terraform-provider-random internal/provider/resource_id.go: keepers, byte_length, prefix RequiresReplace",
    immutable: true,
  },
};

/**
 * Providers: a new default-provider version upgrades in place; any other provider configuration
 * change (region, endpoints, credentials) can make the engine replace what the provider manages.
 */
const PROVIDER_RULE: TypeRule = {
  source: "Pulumi engine: a provider whose configuration changes may replace the resources it manages (pulumi/pulumi pkg/resource/deploy/providers)",
  mayReplace: [""],
  decide: { version: () => "update" },
};

/** Component resources have no provider: their inputs never reach a cloud API. */
const COMPONENT_RULE: TypeRule = { source: "component resource: no provider, nothing to replace" };

/** `aws:ecs/taskDefinition:TaskDefinition` → `ecs/TaskDefinition` (`datadog/Monitor` for index modules). */
export function shortType(type: string): string {
  const [pkg, mod, cls] = type.split(":");
  if (!cls) return type;
  const module = mod?.split("/")[0];
  return `${module && module !== "index" ? module : pkg}/${cls}`;
}

/** Every AWS resource in provider 6 lives in one region (`region` argument); tags are always updated in place. */
const AWS_COMMON: TypeRule = {
  source: "Terraform AWS provider 6 enhanced region support: a regional resource cannot move, a new region recreates it",
  replace: ["region"],
};
const IN_PLACE_EVERYWHERE = ["tags", "tagsAll"];

export function ruleFor(type: string, custom = true): TypeRule | undefined {
  if (!custom) return COMPONENT_RULE;
  if (type.startsWith("pulumi:providers:")) return PROVIDER_RULE;
  return REPLACEMENT_RULES[type];
}

/** `a.b[2].c` → ["a", "b", "c"]: the path as the table writes it (indices dropped). */
export function ruleSegments(path: readonly (string | number)[]): string[] {
  return path.filter((s): s is string => typeof s === "string");
}

/** True when `pattern` (dot path, "" for everything) covers the property path. */
function covers(pattern: string, segments: readonly string[]): boolean {
  if (pattern === "") return true;
  const p = pattern.split(".");
  return p.length <= segments.length && p.every((s, i) => s === segments[i]);
}

function firstMatch<T>(entries: Iterable<[string, T]>, segments: readonly string[]): T | undefined {
  let best: { len: number; value: T } | undefined;
  for (const [pattern, value] of entries) {
    if (covers(pattern, segments)) {
      const len = pattern === "" ? 0 : pattern.split(".").length;
      if (!best || len > best.len) best = { len, value };
    }
  }
  return best?.value;
}

export interface Classification {
  verdict: Verdict;
  /** Why, when the verdict is not a plain update (or an update with a cost). */
  reason?: string;
}

/**
 * The verdict of one changed property of a resource of `type`, by the table. The most specific
 * rule wins (`decide` over `replace` over `mayReplace`, longer paths over shorter).
 */
export function classifyProperty(type: string, custom: boolean, path: readonly (string | number)[], ctx: RuleContext): Classification {
  const segments = ruleSegments(path);
  const rule = ruleFor(type, custom);
  if (!rule) return { verdict: "may replace", reason: `no replacement table for ${type} (add it to infra/preview/replacement-rules.ts)` };
  const note = rule.notes ? firstMatch(Object.entries(rule.notes), segments) : undefined;
  if (!custom) return { verdict: "update" };
  const isAws = type.startsWith("aws:");
  if (IN_PLACE_EVERYWHERE.some((p) => covers(p, segments))) return { verdict: "update" };
  const decide = rule.decide ? firstMatch(Object.entries(rule.decide), segments) : undefined;
  if (decide) {
    const verdict = decide(ctx);
    return verdict === "update" ? { verdict, ...(note ? { reason: note } : {}) } : { verdict, reason: verdict === "replace" ? "forces replacement" : "the provider decides against live state" };
  }
  if ((isAws && (AWS_COMMON.replace ?? []).some((p) => covers(p, segments))) || (rule.replace ?? []).some((p) => covers(p, segments))) {
    return { verdict: "replace", reason: "forces replacement" };
  }
  if (rule.immutable && !(rule.inPlace ?? []).some((p) => covers(p, segments))) return { verdict: "replace", reason: "immutable: any change replaces it" };
  if ((rule.mayReplace ?? []).some((p) => covers(p, segments))) {
    return { verdict: "may replace", reason: rule === PROVIDER_RULE ? "provider configuration changed: the resources it manages may be replaced" : "the provider decides against live state" };
  }
  return { verdict: "update", ...(note ? { reason: note } : {}) };
}

const RANK: Record<Verdict, number> = { update: 0, "may replace": 1, replace: 2 };
export function worst(verdicts: Iterable<Verdict>): Verdict {
  let out: Verdict = "update";
  for (const v of verdicts) if (RANK[v] > RANK[out]) out = v;
  return out;
}
