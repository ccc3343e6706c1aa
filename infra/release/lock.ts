/**
 * The per-version lock: one release (or sign-off) of a version at a time, so two runs never
 * swap packages under each other and no approval written meanwhile is lost.
 *
 * The lock is a file created with O_EXCL (atomic on local filesystems) holding who took it:
 * pid, host, command and a random token. A lock whose holder is a dead process on this host is
 * stale (SIGKILL leaves it behind) and is taken over; a lock held on another host is never
 * guessed at — the message says how to remove it by hand.
 */
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = ".release.lock";
/** A lock file that is still empty this long after its creation belongs to a writer that died mid-write. */
const EMPTY_LOCK_GRACE_MS = 10_000;

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
  token: string;
}

export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
  readonly exitCode = 3;
  constructor(
    message: string,
    readonly file: string,
    readonly holder?: LockHolder,
  ) {
    super(message);
  }
}

export interface HeldLock {
  file: string;
  holder: LockHolder;
  /** Removes the lock if it is still ours; safe to call twice. */
  release(): void;
}

export interface AcquireOptions {
  /** What holds it, for the message another run sees (e.g. "release --stack prod"). */
  command: string;
  /** How long to wait for a live holder (0: refuse at once). */
  waitMs?: number;
  pollMs?: number;
}

/** The lock of a version: in the version's directory, shared by every stack's package of it. */
export function lockFileFor(versionDir: string): string {
  return join(versionDir, LOCK_FILE);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(file: string): LockHolder | "empty" | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    if (typeof h.pid === "number" && typeof h.host === "string" && typeof h.token === "string") return h as LockHolder;
  } catch {
    // fall through: an unreadable lock
  }
  return "empty";
}

function isStale(file: string, holder: LockHolder | "empty"): boolean {
  if (holder === "empty") {
    try {
      return Date.now() - statSync(file).mtimeMs > EMPTY_LOCK_GRACE_MS;
    } catch {
      return false;
    }
  }
  return holder.host === hostname() && !alive(holder.pid);
}

/** Moves a stale lock aside, making sure it was the stale one (another run may have just replaced it). */
function removeStale(file: string, seen: LockHolder | "empty"): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const moved = readHolder(aside);
  const same = seen === "empty" ? moved === "empty" : moved !== undefined && moved !== "empty" && moved.token === seen.token;
  if (!same) {
    // We moved a live lock taken in between: put it back (unless yet another run holds one now).
    try {
      linkSync(aside, file);
    } catch {
      // someone else holds the lock now; theirs stands
    }
  }
  unlinkSync(aside);
}

function describe(file: string, h: LockHolder | "empty" | undefined): string {
  if (!h || h === "empty") return `the lock ${file} is being taken by another run`;
  return `pid ${h.pid} on ${h.host} (${h.command}) holds ${file} since ${h.since}`;
}

function tryCreate(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(holder)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Takes the lock, waiting up to `waitMs` for a live holder; throws LockHeldError when it cannot. */
export async function acquireLock(file: string, opts: AcquireOptions): Promise<HeldLock> {
  const holder: LockHolder = { pid: process.pid, host: hostname(), command: opts.command, since: new Date().toISOString(), token: randomBytes(16).toString("hex") };
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (;;) {
    if (tryCreate(file, holder)) break;
    const seen = readHolder(file);
    if (seen === undefined) continue; // released in between: try again
    if (isStale(file, seen)) {
      removeStale(file, seen);
      continue;
    }
    if (Date.now() >= deadline) {
      const hint = seen !== "empty" && seen.host !== hostname() ? `; if no run is active on ${seen.host}, remove ${file}` : "; wait for it to finish (or pass --wait-lock <seconds>)";
      throw new LockHeldError(`${describe(file, seen)}${hint}`, file, seen === "empty" ? undefined : seen);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
  let released = false;
  return {
    file,
    holder,
    release() {
      if (released) return;
      released = true;
      const now = readHolder(file);
      if (now !== undefined && now !== "empty" && now.token === holder.token) unlinkSync(file);
    },
  };
}
