/** DATA-OPS tagging rule: every data store says how sensitive it is and who owns it. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { tagsOf } from "../../lib/props";
import { controls } from "../../lib/controls";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const DATA_STORES = [...T.bucket, ...T.rdsInstance, ...T.rdsCluster, ...T.logGroup, ...T.secret, ...T.ecrRepository];
export const CLASSIFICATIONS = ["public", "internal", "confidential", "restricted"];

interface TagConfig {
  classifications: string[];
}

export const dataStoreTags: ResourceValidationPolicy = {
  name: "DATA-TAG-01-classification-and-owner",
  description: "Data stores carry `data-classification` and `owner` tags.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["SecretsManager.5"] }),
  configSchema: {
    properties: { classifications: { type: "array", items: { type: "string" }, default: CLASSIFICATIONS, description: "Accepted data-classification values." } },
  },
  validateResource: forTypes(DATA_STORES, (props, args, report) => {
    const { classifications } = configOf<TagConfig>(args, { classifications: CLASSIFICATIONS });
    const tags = tagsOf(props);
    const problems: string[] = [];
    const cls = tags["data-classification"];
    if (!cls) problems.push("tag data-classification is missing");
    else if (!classifications.includes(cls)) problems.push(`data-classification '${cls}' is not one of ${classifications.join(", ")}`);
    if (!tags.owner?.trim()) problems.push("tag owner is missing");
    if (problems.length > 0) report(`Data store '${args.name}': ${problems.join(" and ")}: set tags 'data-classification' (${classifications.join(" | ")}) and 'owner' (the owning team).`);
  }),
};

export const tagPolicies = [dataStoreTags];
