/**
 * One person fills at most one role of a release. A "person" is everything linked by a shared
 * principal or a shared key: two principals with one key are one person, and so are two keys
 * under one principal. Signatures that verified are assigned so that as many required role slots
 * as possible are filled (a maximum bipartite matching, so the order of files cannot turn a
 * satisfiable set into a NO-GO); every other signature of an assigned person is refused.
 */
import { SIGNOFF_ROLES, type SignoffRole } from "./allowed-signers";
import type { RoleCounts } from "./required-roles";
import type { SignatureCheck } from "./verify";

/** A signature that passed every check of its own. */
export interface Candidate {
  file: string;
  role: SignoffRole;
  principal: string;
  fingerprint: string;
  sha256?: string;
}

class People {
  private readonly parent = new Map<string, string>();

  find(x: string): string {
    let root = x;
    while (this.parent.has(root) && this.parent.get(root) !== root) root = this.parent.get(root)!;
    this.parent.set(x, root);
    return root;
  }

  union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

const roleOrder = (a: SignoffRole, b: SignoffRole) => SIGNOFF_ROLES.indexOf(a) - SIGNOFF_ROLES.indexOf(b);

export function assignRoles(candidates: Candidate[], required: RoleCounts): SignatureCheck[] {
  const sorted = [...candidates].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const people = new People();
  for (const c of sorted) people.union(`p:${c.principal}`, `k:${c.fingerprint}`);
  const personOf = (c: Candidate) => people.find(`p:${c.principal}`);

  const out: SignatureCheck[] = [];
  const good = (c: Candidate): SignatureCheck => ({ file: c.file, role: c.role, principal: c.principal, fingerprint: c.fingerprint, sha256: c.sha256, valid: true, reason: `good signature by ${c.principal} as ${c.role} (${c.fingerprint})` });

  // One signature per person and role: a second one (another principal or file) is a duplicate.
  const byPerson = new Map<string, Map<SignoffRole, Candidate>>();
  for (const c of sorted) {
    const roles = byPerson.get(personOf(c)) ?? new Map<SignoffRole, Candidate>();
    byPerson.set(personOf(c), roles);
    const earlier = roles.get(c.role);
    if (earlier) {
      out.push({ file: c.file, role: c.role, principal: c.principal, fingerprint: c.fingerprint, sha256: c.sha256, valid: false, code: "duplicate", reason: `${c.role} already signed by the same person (${earlier.file}); one person counts once per role` });
      continue;
    }
    roles.set(c.role, c);
  }

  // Maximum matching of people to required role slots (augmenting paths; tiny graphs).
  const persons = [...byPerson.keys()];
  const rolesOf = (p: string) => [...byPerson.get(p)!.keys()].sort(roleOrder);
  const assigned = new Map<SignoffRole, string[]>(SIGNOFF_ROLES.map((r) => [r, []]));
  const match = new Map<string, SignoffRole>();
  const augment = (p: string, visited: Set<SignoffRole>): boolean => {
    for (const role of rolesOf(p)) {
      const cap = required[role] ?? 0;
      if (cap === 0 || visited.has(role)) continue;
      visited.add(role);
      const holders = assigned.get(role)!;
      if (holders.length < cap) {
        holders.push(p);
        match.set(p, role);
        return true;
      }
      for (const q of [...holders]) {
        if (augment(q, visited)) {
          // q moved to another role; p takes its slot here.
          holders.splice(holders.indexOf(q), 1, p);
          match.set(p, role);
          return true;
        }
      }
    }
    return false;
  };
  for (const p of persons) augment(p, new Set());
  // Whoever is not needed for a slot still counts once: in their first role.
  for (const p of persons) if (!match.has(p)) match.set(p, rolesOf(p)[0]!);

  for (const p of persons) {
    const role = match.get(p)!;
    const signed = byPerson.get(p)!;
    const kept = signed.get(role)!;
    out.push(good(kept));
    for (const [other, c] of signed) {
      if (other === role) continue;
      out.push({ file: c.file, role: c.role, principal: c.principal, fingerprint: c.fingerprint, sha256: c.sha256, valid: false, code: "one-role-per-person", reason: `${c.principal} (${c.fingerprint}) already fills ${role} in this release (${kept.file}); one person fills at most one role` });
    }
  }
  return out;
}
