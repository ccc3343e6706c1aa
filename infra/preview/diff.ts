/**
 * The difference between two deployments (base branch vs head, or last export vs preview):
 * create, update (with the changed input keys), delete, and replace-risk where a changed key is
 * one that forces replacement of a stateful resource. Resources are matched by URN.
 */
import { isDeepStrictEqual } from "node:util";
import type { Deployment, DeploymentResource } from "./deployment";

export type ChangeKind = "create" | "update" | "replace-risk" | "delete";

export interface ResourceChange {
  kind: ChangeKind;
  urn: string;
  type: string;
  /** Top-level input keys that changed (update / replace-risk). */
  keys?: string[];
  protect?: boolean;
}

export interface DeploymentDiff {
  changes: ResourceChange[];
  summary: Record<ChangeKind, number> & { same: number };
}

/** Input keys whose change makes the provider replace the resource (losing data for these types). */
export const REPLACING_KEYS: Record<string, string[]> = {
  "aws:rds/instance:Instance": ["identifier", "engine", "dbName", "kmsKeyId", "storageEncrypted", "username", "availabilityZone", "dbSubnetGroupName"],
  "aws:s3/bucket:Bucket": ["bucket", "objectLockEnabled"],
  "aws:s3/bucketV2:BucketV2": ["bucket", "objectLockEnabled"],
  "aws:ecr/repository:Repository": ["name", "encryptionConfigurations"],
  "aws:kms/key:Key": ["customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion"],
  "aws:secretsmanager/secret:Secret": ["name"],
  "aws:cloudwatch/logGroup:LogGroup": ["name"],
};

/** Inputs the preview cannot know the same way twice (the commit) are compared like any other. */
function changedKeys(a: DeploymentResource, b: DeploymentResource): string[] {
  const ai = a.inputs ?? {};
  const bi = b.inputs ?? {};
  const keys = new Set([...Object.keys(ai), ...Object.keys(bi)]);
  const changed = [...keys].filter((k) => !isDeepStrictEqual(ai[k], bi[k]));
  if (Boolean(a.protect) !== Boolean(b.protect)) changed.push("(protect)");
  return changed.sort();
}

export function diffDeployments(base: Deployment, head: Deployment): DeploymentDiff {
  const before = new Map(base.deployment.resources.map((r) => [r.urn, r]));
  const after = new Map(head.deployment.resources.map((r) => [r.urn, r]));
  const changes: ResourceChange[] = [];
  let same = 0;
  for (const [urn, r] of after) {
    const old = before.get(urn);
    if (!old) {
      changes.push({ kind: "create", urn, type: r.type });
      continue;
    }
    const keys = changedKeys(old, r);
    if (keys.length === 0) {
      same++;
      continue;
    }
    const replacing = REPLACING_KEYS[r.type] ?? [];
    const kind: ChangeKind = keys.some((k) => replacing.includes(k)) ? "replace-risk" : "update";
    changes.push({ kind, urn, type: r.type, keys, ...(r.protect ? { protect: true } : {}) });
  }
  for (const [urn, r] of before) {
    if (!after.has(urn)) changes.push({ kind: "delete", urn, type: r.type, ...(r.protect ? { protect: true } : {}) });
  }
  const order: ChangeKind[] = ["replace-risk", "delete", "update", "create"];
  changes.sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind) || x.urn.localeCompare(y.urn));
  const summary = { create: 0, update: 0, "replace-risk": 0, delete: 0, same };
  for (const c of changes) summary[c.kind]++;
  return { changes, summary };
}

const SYMBOL: Record<ChangeKind, string> = { create: "+", update: "~", "replace-risk": "!", delete: "-" };

export function renderDiff(diff: DeploymentDiff): string {
  const lines = diff.changes.map((c) => {
    const name = c.urn.split("::").slice(3).join("::");
    const keys = c.keys ? ` (${c.keys.join(", ")})` : "";
    const flag = c.kind === "delete" && c.protect ? "  [protected: pulumi will refuse]" : c.kind === "replace-risk" ? "  [would replace: check data]" : "";
    return `${SYMBOL[c.kind]} ${c.kind.padEnd(12)} ${c.type}  ${name}${keys}${flag}`;
  });
  const s = diff.summary;
  lines.push(`${s.create} to create, ${s.update} to update, ${s["replace-risk"]} at risk of replacement, ${s.delete} to delete, ${s.same} unchanged`);
  return lines.join("\n");
}
