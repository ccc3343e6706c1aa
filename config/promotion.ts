/**
 * Promotion across accounts, checked from the committed stack files before anything is declared:
 * a `promote` stack's source must be the repositories of a `build` stack of this project, in the
 * account that stack is pinned to (`aws:allowedAccountIds`), and that stack must let the promoting
 * stack's account pull (`images.pullAccounts`). Otherwise the copy would fail with a 403 halfway
 * through a production deploy.
 */
import { NAME_PREFIX } from "./names";
import type { StackConfig } from "./schema";
import { discoverStacks, loadStackConfig, readStackFile, REPO_ROOT } from "./stack-file";

/** The accounts a stack is pinned to (`aws:allowedAccountIds` in its file), or none. */
export function stackAccounts(stack: string, root = REPO_ROOT): string[] {
  const raw = readStackFile(stack, root).config["aws:allowedAccountIds"];
  if (!raw) return [];
  const parsed = JSON.parse(raw) as unknown;
  return Array.isArray(parsed) ? parsed.filter((a): a is string => typeof a === "string") : [];
}

/** Problems with `stack`'s promotion source; empty when it builds, or when the source lets it pull. */
export function promotionProblems(stack: string, cfg: StackConfig, root = REPO_ROOT): string[] {
  if (cfg.images.source !== "promote") return [];
  const prefix = cfg.images.sourceRepositoryPrefix;
  const [host, ...path] = prefix.split("/");
  const sourceAccount = host!.split(".")[0]!;
  const accounts = stackAccounts(stack, root);
  const where = `Pulumi.${stack}.yaml`;
  if (accounts.length === 0) return [`${where}: set aws:allowedAccountIds to this stack's account, so the build stack's pull grant can be checked against it`];
  const source = discoverStacks(root).find((s) => `${path.join("/")}` === `${NAME_PREFIX}/${s}` && stackAccounts(s, root).includes(sourceAccount));
  if (!source) {
    return [`${where}: images.sourceRepositoryPrefix ${prefix} is not the repositories of any build stack here (expected <account>.dkr.ecr.<region>.amazonaws.com/${NAME_PREFIX}/<stack> of a stack whose aws:allowedAccountIds lists <account>)`];
  }
  const sourceCfg = loadStackConfig(source, root);
  if (sourceCfg.images.source !== "build") return [`${where}: promotes from stack ${source}, which builds nothing (images.source is "${sourceCfg.images.source}")`];
  const pullAccounts = sourceCfg.images.pullAccounts;
  const missing = accounts.filter((a) => !pullAccounts.includes(a));
  return missing.map((a) => `${where}: stack ${source} does not let account ${a} pull its images; add "${a}" to backend-release:images.pullAccounts in Pulumi.${source}.yaml and deploy ${source} before promoting`);
}
