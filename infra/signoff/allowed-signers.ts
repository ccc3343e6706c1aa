/**
 * `config/allowed_signers`: who may sign off, with which key, in which role, and when.
 *
 * The file is ssh-keygen's own allowed_signers format (ssh-keygen(1), "ALLOWED SIGNERS"), so
 * `ssh-keygen -Y verify -f config/allowed_signers` reads it unchanged. Roles ride in the key's
 * comment field, which ssh-keygen ignores:
 *
 *   <principal> [namespaces="…",valid-after="…",valid-before="…"] <key-type> <base64> roles=<role>[,<role>] [free text]
 *
 * We are stricter than ssh-keygen where laxness would weaken a sign-off: one literal principal
 * per line (no wildcard patterns, which would let any matching name sign), no cert-authority,
 * and every line must name its roles.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../../config/schema";
import { REPO_ROOT } from "../../config/stack-file";
import { fingerprintOf } from "./sshsig";

export const SIGNOFF_ROLES = ["architecture", "security", "operations"] as const;
export type SignoffRole = (typeof SIGNOFF_ROLES)[number];
// The config schema and this list must name the same roles.
type ConfigRole = keyof StackConfig["signoff"]["requiredRoles"];
const sameRoles: [ConfigRole, SignoffRole] extends [SignoffRole, ConfigRole] ? true : never = true;
void sameRoles;

export const DEFAULT_ALLOWED_SIGNERS = join(REPO_ROOT, "config", "allowed_signers");
/** A principal is an email-like literal; it is also part of the approval's file name. */
export const PRINCIPAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]*@[A-Za-z0-9.-]+$/;

export interface AllowedSigner {
  /** 1-based line number in the file. */
  line: number;
  principal: string;
  /** Namespace patterns (`namespaces="…"`); undefined = any namespace. */
  namespaces?: string[];
  validAfter?: Date;
  validBefore?: Date;
  keyType: string;
  publicKey: Buffer;
  fingerprint: string;
  roles: SignoffRole[];
}

export class AllowedSignersError extends Error {
  override readonly name = "AllowedSignersError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

/** Splits on whitespace (or `sep`) outside double quotes; quotes stay in the token. */
function split(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && sep.test(ch)) {
      if (cur) out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur) out.push(cur);
  return out;
}

const unquote = (s: string): string => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/**
 * ssh-keygen's timestamp: YYYYMMDD[HHMM[SS]], UTC with a trailing Z, else local time (as
 * ssh-keygen reads it). Write Z so that the window means the same everywhere.
 */
export function parseSshTime(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z)?$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  const date = m[7] ? new Date(Date.UTC(y, mo - 1, d, h, mi, s)) : new Date(y, mo - 1, d, h, mi, s);
  // Reject rollovers such as 20260231.
  const check = m[7] ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()] : [date.getFullYear(), date.getMonth() + 1, date.getDate()];
  return check[0] === y && check[1] === mo && check[2] === d && h < 24 && mi < 60 && s < 60 ? date : undefined;
}

/** ssh-keygen's own `-Overify-time=` form, in UTC. */
export function formatSshTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}

/** OpenSSH pattern-list matching (`*`, `?`, `!negation`), as used for `namespaces=`. */
export function matchesPatternList(value: string, patterns: string[]): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    if (re.test(value)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

const isKeyType = (token: string): boolean => /^(ssh-|ecdsa-sha2-|sk-)/.test(token);

function parseLine(text: string, line: number, problems: string[]): AllowedSigner | undefined {
  const fail = (why: string): undefined => {
    problems.push(`line ${line}: ${why}`);
    return undefined;
  };
  const tokens = split(text, /\s/);
  const [principalToken, second] = tokens;
  if (!principalToken || !second) return fail("expected: <principal> [options] <key-type> <base64-key> roles=<role>[,<role>]");
  const principal = unquote(principalToken);
  if (principal.includes(",") || /[*?!]/.test(principal)) return fail(`"${principal}": one literal principal per line (no lists or wildcard patterns)`);
  if (!PRINCIPAL_PATTERN.test(principal)) return fail(`"${principal}" is not an email-like principal`);

  const entry: Partial<AllowedSigner> = { line, principal };
  let rest = tokens.slice(1);
  if (!isKeyType(second)) {
    for (const opt of split(second, /,/)) {
      const eq = opt.indexOf("=");
      const name = (eq < 0 ? opt : opt.slice(0, eq)).toLowerCase();
      const value = eq < 0 ? "" : unquote(opt.slice(eq + 1));
      if (name === "namespaces") entry.namespaces = value.split(",").filter(Boolean);
      else if (name === "valid-after" || name === "valid-before") {
        const when = parseSshTime(value);
        if (!when) return fail(`${name}="${value}" is not YYYYMMDD[HHMM[SS]][Z]`);
        if (name === "valid-after") entry.validAfter = when;
        else entry.validBefore = when;
      } else if (name === "cert-authority") return fail("cert-authority is not accepted for sign-offs: list each person's key");
      else return fail(`unsupported option "${name}" (ssh-keygen accepts namespaces, valid-after, valid-before)`);
    }
    rest = tokens.slice(2);
  }
  const [keyType, keyData, ...comment] = rest;
  if (!keyType || !isKeyType(keyType) || !keyData) return fail("missing <key-type> <base64-key>");
  const publicKey = Buffer.from(keyData, "base64");
  if (publicKey.length < 4 || publicKey.toString("base64").replace(/=+$/, "") !== keyData.replace(/=+$/, "")) return fail("the key is not valid base64");
  const declared = publicKey.subarray(4, 4 + publicKey.readUInt32BE(0)).toString("latin1");
  if (declared !== keyType) return fail(`key type "${keyType}" does not match the key's own type "${declared}"`);
  const rolesToken = comment.find((t) => t.startsWith("roles="));
  if (!rolesToken) return fail(`no roles: add roles=<${SIGNOFF_ROLES.join("|")}>[,…] after the key`);
  const roles = rolesToken.slice("roles=".length).split(",").filter(Boolean);
  const unknown = roles.filter((r) => !(SIGNOFF_ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length > 0) return fail(`unknown role(s) ${unknown.join(", ") || "(none)"}: expected ${SIGNOFF_ROLES.join(", ")}`);
  if (entry.validAfter && entry.validBefore && entry.validAfter >= entry.validBefore) return fail("valid-after is not before valid-before");
  return { ...entry, keyType, publicKey, fingerprint: fingerprintOf(publicKey), roles: roles as SignoffRole[] } as AllowedSigner;
}

/** Parses allowed_signers text; every bad line is reported at once. */
export function parseAllowedSigners(text: string, file = "allowed_signers"): AllowedSigner[] {
  const problems: string[] = [];
  const entries: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const entry = parseLine(line, i + 1, problems);
    if (entry) entries.push(entry);
  });
  if (problems.length > 0) throw new AllowedSignersError(`${file}: ${problems.length} invalid line(s)`, problems);
  return entries;
}

export function readAllowedSigners(file = DEFAULT_ALLOWED_SIGNERS): AllowedSigner[] {
  if (!existsSync(file)) throw new AllowedSignersError(`no allowed signers file at ${file}`, []);
  return parseAllowedSigners(readFileSync(file, "utf8"), file);
}
