/**
 * Token validity, one rule for the store (which enforces it) and the portal (which explains it
 * before sending): seconds within the administrator's bounds, or negative for "never expires"
 * when allowed (WSO2 API Manager's convention, docs/adr/0010-never-expiring-tokens.md). Any
 * negative value is normalised to NEVER_EXPIRES.
 */
export const NEVER_EXPIRES = -1;

export interface TokenValidityBounds {
  /** Seconds a new key's tokens live when the developer picks nothing. */
  defaultSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  /** Whether a key may be given tokens that never expire (sent as a negative validity). */
  allowNeverExpires: boolean;
}

export type ValidityCheck =
  | { ok: true; seconds: number }
  | { ok: false; rule: 'never_not_allowed' | 'out_of_bounds' };

export function checkValidity(seconds: number, bounds: TokenValidityBounds): ValidityCheck {
  if (seconds < 0) {
    return bounds.allowNeverExpires
      ? { ok: true, seconds: NEVER_EXPIRES }
      : { ok: false, rule: 'never_not_allowed' };
  }
  if (!Number.isInteger(seconds) || seconds < bounds.minSeconds || seconds > bounds.maxSeconds) {
    return { ok: false, rule: 'out_of_bounds' };
  }
  return { ok: true, seconds };
}
