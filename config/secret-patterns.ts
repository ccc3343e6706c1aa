/**
 * What a secret looks like, by name and by value: one definition for the config schema (which
 * refuses a secret-like plain environment variable) and the SEC-OPS pack (which refuses one in a
 * task definition), so the two can never disagree.
 */

/** Variable names that hold credentials or keys. */
export const SECRET_LIKE_NAME = /(secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|(signing|encryption|hmac|jwt)[_-]?key)/i;

/** Values that are credentials whatever their name. */
export const SECRET_LIKE_VALUES: readonly RegExp[] = [
  /(AKIA|ASIA)[0-9A-Z]{16}/, // AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /[a-z]+:\/\/[^/\s:@]+:[^/\s@]+@/i, // URL with a password
  /^(xox[abp]|gh[pousr]|sk_live)_?[A-Za-z0-9-]{10,}/, // Slack, GitHub, Stripe tokens
];

export function looksLikeSecretValue(value: string): boolean {
  return SECRET_LIKE_VALUES.some((re) => re.test(value));
}
