/**
 * Token validity, one concept for every service (docs/adr/0010-never-expiring-tokens.md).
 *
 * A `TokenValidity` is a whole number of seconds > 0, or NEVER_EXPIRES. It travels as that same
 * number on our own contracts (store API, the store→key-manager admin API, the key-manager's
 * client records), always under the name `validitySeconds`. Input follows WSO2 API Manager's
 * convention: any negative number means "never expires" and is normalised to NEVER_EXPIRES.
 * Only the key-manager's oidc-provider boundary turns "never" into a technical lifetime.
 *
 * parseTokenValidity is the one rule every input goes through; checkValidity adds the store
 * administrator's bounds on top of it (the store enforces them, the portal explains them).
 */
export const NEVER_EXPIRES = -1;

/** Seconds (whole, > 0, ≤ MAX_VALIDITY_SECONDS) or NEVER_EXPIRES. */
export type TokenValidity = number;

/** The longest finite validity anything accepts: 10 years. Longer is not "never", it is refused. */
export const MAX_VALIDITY_SECONDS = 10 * 365 * 86_400;

export const VALIDITY_RULE = `whole seconds from 1 to ${MAX_VALIDITY_SECONDS}, or negative for "never expires"`;

export type ValidityParse = { ok: true; validity: TokenValidity } | { ok: false; reason: string };

/** The one validation of a validity as it arrives (wire, configuration). */
export function parseTokenValidity(raw: unknown): ValidityParse {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw === 0 || raw > MAX_VALIDITY_SECONDS) {
    return { ok: false, reason: `must be ${VALIDITY_RULE}` };
  }
  return { ok: true, validity: raw < 0 ? NEVER_EXPIRES : raw };
}

/** The wire form of a validity (the same number; "never" is NEVER_EXPIRES itself). */
export function serializeTokenValidity(validity: TokenValidity): number {
  return validity;
}

export function isNeverExpires(validity: TokenValidity | null | undefined): boolean {
  return validity === NEVER_EXPIRES;
}

export interface TokenValidityBounds {
  /** Seconds a new key's tokens live when the developer picks nothing. */
  defaultSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  /** Whether a key may be given tokens that never expire (sent as a negative validity). */
  allowNeverExpires: boolean;
}

export type ValidityCheck =
  | { ok: true; seconds: TokenValidity }
  | { ok: false; rule: 'never_not_allowed' | 'out_of_bounds' };

export function checkValidity(seconds: number, bounds: TokenValidityBounds): ValidityCheck {
  const parsed = parseTokenValidity(seconds);
  if (parsed.ok && isNeverExpires(parsed.validity)) {
    return bounds.allowNeverExpires
      ? { ok: true, seconds: NEVER_EXPIRES }
      : { ok: false, rule: 'never_not_allowed' };
  }
  if (!parsed.ok || seconds < bounds.minSeconds || seconds > bounds.maxSeconds) {
    return { ok: false, rule: 'out_of_bounds' };
  }
  return { ok: true, seconds: parsed.validity };
}
