/**
 * Glue between rule bodies and @pulumi/policy: a rule body sees only the resource types it is
 * written for; any other type is reported as not applicable, exactly as
 * `validateResourceOfType` does (which cannot be used here: it takes one class, and each of our
 * rules must accept every spelling of a renamed type). A rule for one type carries that type as
 * `__pulumiType`, as validateResourceOfType's functions do: the analyzer then skips other types
 * without deserializing their properties (most of a pack's cost on a large graph).
 */
import type { ReportViolation, ResourceValidation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { Props } from "./props";

export function forTypes(types: readonly string[], validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation) => void): ResourceValidation {
  const fn: ResourceValidation = (args, report) => {
    if (!types.includes(args.type)) args.notApplicable(`Policy only applies to resources of type ${types.map((t) => `'${t}'`).join(", ")}`);
    validate(args.props as Props, args, report);
  };
  if (types.length === 1) (fn as { __pulumiType?: string }).__pulumiType = types[0];
  return fn;
}

/** Policy config with the schema's defaults filled in (the CLI does the same before Configure). */
export function configOf<T extends object>(args: ResourceValidationArgs | StackValidationArgs, defaults: T): T {
  return { ...defaults, ...args.getConfig<Partial<T>>() };
}
