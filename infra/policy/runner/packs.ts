/**
 * The packs' definitions, as their entries serve them. Importing this loads the rules and
 * @pulumi/policy (and with it the whole Pulumi SDK), so only the code that serves the packs does.
 */
import { dataOpsPack } from "../data-ops/pack";
import { secOpsPack } from "../sec-ops/pack";
import type { PackDefinition } from "./host";
import { PACK_DIRS } from "./pack-dirs";

export const PACKS: ReadonlyArray<{ dir: string; pack: PackDefinition }> = [
  { dir: PACK_DIRS[0]!, pack: secOpsPack },
  { dir: PACK_DIRS[1]!, pack: dataOpsPack },
];
