/**
 * DPoP proofs at the resource server (RFC 9449 §4.3, §7): a DPoP-bound access token (`cnf.jkt`)
 * is accepted only as `Authorization: DPoP <token>` with exactly one `DPoP` proof header that
 *   - is a JWT of `typ: dpop+jwt`, signed with an asymmetric algorithm by the public key in its
 *     own `jwk` header, whose SHA-256 thumbprint is the token's `cnf.jkt`;
 *   - names this request: `htm` = the method, `htu` = the URL the client used without query and
 *     fragment (behind an ingress: PUBLIC_URL);
 *   - is fresh (`iat` within DPOP_PROOF_MAX_AGE_SECONDS, either side) and used once: its `jti`
 *     is recorded in Redis for twice that window, so a replay is refused by every replica;
 *   - carries `ath` = base64url(SHA-256(access token)).
 */
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';

/** Asymmetric algorithms only (RFC 9449 §4.2: no MAC, no `none`). */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'EdDSA',
  'Ed25519',
];

export type DpopFailure =
  | 'missing'
  | 'multiple'
  | 'malformed'
  | 'bad-signature'
  | 'wrong-key'
  | 'wrong-request'
  | 'stale'
  | 'wrong-token'
  | 'replayed';

export class InvalidDpopProof extends Error {
  readonly reason: DpopFailure;
  constructor(reason: DpopFailure, message: string) {
    super(message);
    this.name = 'InvalidDpopProof';
    this.reason = reason;
  }
}

/** Records a proof's jti once; false when it was seen before (any replica). */
export interface ProofReplayStore {
  firstUse(jti: string, ttlSeconds: number): Promise<boolean>;
}

export interface DpopRequest {
  proofs: string[];
  method: string;
  /** The URL the client called, without query and fragment. */
  url: string;
  accessToken: string;
  jkt: string;
}

export interface DpopVerifierOptions {
  replay: ProofReplayStore;
  maxAgeSeconds: number;
  now?: () => number;
}

/** RFC 9449 §4.3 step 9: compare htu with the request URL after normalising both. */
export function normalizeHtu(value: string): string | undefined {
  try {
    const u = new URL(value);
    u.search = '';
    u.hash = '';
    return u.href;
  } catch {
    return undefined;
  }
}

export class DpopVerifier {
  private readonly options: DpopVerifierOptions;
  private readonly now: () => number;

  constructor(options: DpopVerifierOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  async verify(req: DpopRequest): Promise<void> {
    if (req.proofs.length === 0) throw new InvalidDpopProof('missing', 'A DPoP proof is required');
    if (req.proofs.length > 1) throw new InvalidDpopProof('multiple', 'Send exactly one DPoP proof');
    const proof = req.proofs[0] as string;
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      throw new InvalidDpopProof('malformed', 'The DPoP proof is not a JWT');
    }
    const jwk = header.jwk as JWK | undefined;
    if (header.typ !== 'dpop+jwt' || !jwk || 'd' in jwk || !DPOP_ALGORITHMS.includes(String(header.alg))) {
      throw new InvalidDpopProof(
        'malformed',
        'The DPoP proof needs typ dpop+jwt, an asymmetric alg and a public jwk',
      );
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: DPOP_ALGORITHMS,
        // iat is checked below with the configured window, both directions.
        clockTolerance: Number.MAX_SAFE_INTEGER,
      }));
    } catch {
      throw new InvalidDpopProof('bad-signature', 'The DPoP proof signature does not verify');
    }
    if ((await calculateJwkThumbprint(jwk, 'sha256')) !== req.jkt) {
      throw new InvalidDpopProof(
        'wrong-key',
        'The DPoP proof is not signed by the key the token is bound to',
      );
    }
    const htu = typeof payload['htu'] === 'string' ? normalizeHtu(payload['htu']) : undefined;
    if (payload['htm'] !== req.method || !htu || htu !== normalizeHtu(req.url)) {
      throw new InvalidDpopProof('wrong-request', 'The DPoP proof is for another method or URL');
    }
    const iat = payload['iat'];
    const max = this.options.maxAgeSeconds;
    if (typeof iat !== 'number' || Math.abs(this.now() / 1000 - iat) > max) {
      throw new InvalidDpopProof('stale', 'The DPoP proof is too old or from the future');
    }
    const ath = createHash('sha256').update(req.accessToken).digest('base64url');
    if (payload['ath'] !== ath) {
      throw new InvalidDpopProof('wrong-token', 'The DPoP proof is for another access token (ath)');
    }
    const jti = payload['jti'];
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
      throw new InvalidDpopProof('malformed', 'The DPoP proof needs a jti');
    }
    // Keyed by key and jti: one client cannot use up another's jti values.
    const seen = createHash('sha256').update(`${req.jkt}:${jti}`).digest('base64url');
    if (!(await this.options.replay.firstUse(seen, max * 2))) {
      throw new InvalidDpopProof('replayed', 'The DPoP proof was used before');
    }
  }
}
