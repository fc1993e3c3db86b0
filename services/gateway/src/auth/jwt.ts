/**
 * Local validation of JWT access tokens (RFC 9068) with the key-manager's JWKS.
 *
 * Rules:
 * - only asymmetric algorithms are accepted: `alg: none` and every HMAC (including an HS256
 *   token "signed" with the public key) are rejected before any key is looked up;
 * - `typ` must be `at+jwt`; `iss`, `aud`, `exp`, `nbf` are checked with a small clock tolerance;
 * - an unknown `kid` refetches the JWKS at most once per cooldown (jose's remote key set);
 * - a JWKS that cannot be fetched is `VerificationUnavailable` (503), never "invalid" (401).
 */
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { InvalidCode, TokenFacts } from './facts.ts';
import { factsFromClaims, VerificationUnavailable } from './facts.ts';

const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export type JwtOutcome = { valid: true; facts: TokenFacts } | { valid: false; code: InvalidCode };

export interface JwtVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  cooldownMs: number;
  maxAgeMs: number;
  timeoutMs: number;
  clockToleranceSeconds: number;
  /** Tests pass a local key set instead of a URL. */
  keySet?: JWTVerifyGetKey;
}

export class JwtVerifier {
  private readonly options: JwtVerifierOptions;
  private readonly keys: JWTVerifyGetKey;

  constructor(options: JwtVerifierOptions) {
    this.options = options;
    this.keys =
      options.keySet ??
      createRemoteJWKSet(new URL(options.jwksUrl), {
        cooldownDuration: options.cooldownMs,
        cacheMaxAge: options.maxAgeMs,
        timeoutDuration: options.timeoutMs,
      });
  }

  async verify(token: string): Promise<JwtOutcome> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: this.options.issuer,
        audience: this.options.audience,
        typ: 'at+jwt',
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['client_id'],
      }));
    } catch (err) {
      return { valid: false, code: classify(err) };
    }
    const facts = factsFromClaims(payload as Record<string, unknown>, 'jwt');
    return facts ? { valid: true, facts } : { valid: false, code: 'invalid' };
  }
}

/** Maps a jose error to an outcome; key-set transport problems are thrown as unavailable. */
function classify(err: unknown): InvalidCode {
  if (err instanceof errors.JWTExpired) return 'expired';
  // JWKS transport: timeout, a non-200 or non-JSON answer (jose's generic error), an invalid set.
  const generic = err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC';
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || generic) {
    throw new VerificationUnavailable(`JWKS unavailable: ${err.message}`, err);
  }
  if (err instanceof errors.JOSEError)
    return err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid ? 'malformed' : 'invalid';
  // Not a jose error: fetch failed (connection refused, DNS) or JSON parse of the JWKS.
  throw new VerificationUnavailable(`JWKS unavailable: ${(err as Error).message}`, err);
}
