import { join } from "node:path";

/** The packs' directories (package.json, the entry a pack process runs), in report order. */
export const PACK_DIRS = [join(__dirname, "..", "sec-ops"), join(__dirname, "..", "data-ops")];
