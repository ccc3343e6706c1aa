/**
 * Release versions are semantic versions (semver.org 2.0.0). A leading `v` (the tag's form) is
 * accepted and stripped, so `--version v1.4.0` and `--version 1.4.0` name the same release.
 * Checked before any work: a version becomes a directory name, a tag, an archive key.
 */

// The regular expression published on semver.org (numbered groups), anchored.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const MAX_LENGTH = 128;

export class VersionError extends Error {
  override readonly name = "VersionError";
}

/** The canonical release version of `input`, or a VersionError saying what is wrong. */
export function parseReleaseVersion(input: string, where = "--version"): string {
  const version = input.startsWith("v") ? input.slice(1) : input;
  if (version.length > MAX_LENGTH || !SEMVER.test(version)) {
    throw new VersionError(`${where} "${input}" is not a semantic version: use MAJOR.MINOR.PATCH[-prerelease][+build], e.g. 1.4.0 or v1.4.0-rc.1`);
  }
  return version;
}

export function isReleaseVersion(value: string): boolean {
  return value.length <= MAX_LENGTH && SEMVER.test(value);
}

/** semver precedence (build metadata ignored); a stable order for listings. */
export function compareVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const [ra, rb] = [pa[4], pb[4]];
  if (ra === rb) return 0;
  if (ra === undefined) return 1;
  if (rb === undefined) return -1;
  const xa = ra.split(".");
  const xb = rb.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const [x, y] = [xa[i], xb[i]];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny && Number(x) !== Number(y)) return Math.sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
