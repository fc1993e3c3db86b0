/**
 * The backend JWT: a short-lived token the gateway signs with its own key and sends upstream
 * (header BACKEND_JWT_HEADER, default X-JWT-Assertion) describing the caller. Upstreams verify
 * it with the gateway's JWKS (admin port, /.well-known/jwks.json). Claims: docs/adr/0034.
 *
 * The key comes from BACKEND_JWT_SIGNING_KEY (PKCS#8 PEM or a private JWK). Without it an
 * ephemeral key is generated: fine for one replica in development, wrong for several replicas
 * (each would publish a different JWKS), so buildGateway logs a warning.
 *
 * Rotation without downtime (docs/adr/0085): BACKEND_JWT_PUBLISHED_JWKS holds public keys
 * published next to the signing key but never used to sign: the next key before it signs (so
 * upstream JWKS caches know it first), the previous one until its last JWT has expired.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { CryptoKey, JWK } from 'jose';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, importPKCS8, SignJWT } from 'jose';

export interface BackendJwtClaims {
  sub: string;
  aud: string;
  [claim: string]: unknown;
}

export class BackendJwtSigner {
  readonly alg: string;
  readonly kid: string;
  readonly ephemeral: boolean;
  private readonly privateKey: CryptoKey;
  private readonly publicJwk: JWK;
  private readonly published: JWK[];
  private readonly issuer: string;
  private readonly ttlSeconds: number;

  private constructor(init: {
    alg: string;
    kid: string;
    privateKey: CryptoKey;
    publicJwk: JWK;
    verificationKeys: JWK[];
    issuer: string;
    ttlSeconds: number;
    ephemeral: boolean;
  }) {
    this.alg = init.alg;
    this.kid = init.kid;
    this.privateKey = init.privateKey;
    this.publicJwk = init.publicJwk;
    // The signing key first; a verification key equal to it is published once.
    this.published = [init.publicJwk, ...init.verificationKeys.filter((k) => k.kid !== init.kid)];
    this.issuer = init.issuer;
    this.ttlSeconds = init.ttlSeconds;
    this.ephemeral = init.ephemeral;
  }

  static async create(options: {
    key: string;
    /** JSON JWKS ({"keys":[...]}) of public keys to publish without signing with them. */
    verificationKeys?: string;
    issuer: string;
    ttlSeconds: number;
  }): Promise<BackendJwtSigner> {
    const verificationKeys = await parseVerificationKeys(options.verificationKeys ?? '');
    let privateKey: CryptoKey;
    let alg: string;
    const ephemeral = options.key.trim() === '';
    if (ephemeral) {
      alg = 'ES256';
      ({ privateKey } = await generateKeyPair('ES256', { extractable: true }));
    } else {
      try {
        if (options.key.trim().startsWith('{')) {
          const jwk = JSON.parse(options.key) as JWK;
          if (!jwk.d) throw new Error('the JWK has no private part');
          alg = jwk.alg ?? algFor(jwk);
          privateKey = (await importJWK(jwk, alg, { extractable: true })) as CryptoKey;
        } else {
          alg = algForPem(options.key);
          privateKey = await importPKCS8(options.key, alg, { extractable: true });
        }
      } catch (err) {
        // Never echo the key itself.
        throw new Error(`BACKEND_JWT_SIGNING_KEY is not a usable private key: ${(err as Error).message}`);
      }
    }
    const publicJwk = await publicPart(await exportJWK(privateKey), alg);
    const kid = publicJwk.kid as string;
    return new BackendJwtSigner({
      alg,
      kid,
      privateKey,
      publicJwk,
      verificationKeys,
      issuer: options.issuer,
      ttlSeconds: options.ttlSeconds,
      ephemeral,
    });
  }

  /** The signing key's public half, then the verification keys. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }

  sign(claims: BackendJwtClaims): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.alg, kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .setJti(randomUUID())
      .sign(this.privateKey);
  }
}

/** The public members of a key, with its thumbprint as kid (the same kid on every replica). */
async function publicPart(full: JWK, alg: string): Promise<JWK> {
  const pub: JWK = { kty: full.kty };
  for (const field of ['crv', 'x', 'y', 'n', 'e'] as const) if (full[field]) pub[field] = full[field];
  const kid = await calculateJwkThumbprint(pub);
  return Object.assign(pub, { kid, alg, use: 'sig' });
}

/**
 * BACKEND_JWT_PUBLISHED_JWKS: public keys only (a private member is refused, so a signing key
 * is never published by mistake); each must import as a key of its algorithm.
 */
async function parseVerificationKeys(raw: string): Promise<JWK[]> {
  if (raw.trim() === '') return [];
  const fail = (why: string): never => {
    throw new Error(`BACKEND_JWT_PUBLISHED_JWKS: ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('expected JSON {"keys":[...]}');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) fail('expected {"keys":[...]} with at least one key');
  const out: JWK[] = [];
  for (const [i, key] of (keys as JWK[]).entries()) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string')
      fail(`keys[${i}] is not a JWK`);
    if ('d' in key || 'p' in key || 'k' in key)
      fail(`keys[${i}] has a private part: publish public keys only`);
    const alg = key.alg ?? algFor(key);
    try {
      await importJWK(key, alg);
    } catch (err) {
      fail(`keys[${i}] is not a usable ${alg} public key: ${(err as Error).message}`);
    }
    out.push(await publicPart(key, alg));
  }
  return out;
}

function algFor(jwk: JWK): string {
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'RS256';
  throw new Error(`BACKEND_JWT_SIGNING_KEY: unsupported key type ${jwk.kty}`);
}

/** The algorithm for a PKCS#8 PEM key, from its key type and curve. */
function algForPem(pem: string): string {
  const key = createPrivateKey(pem);
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'RS256';
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
  }
  throw new Error(`BACKEND_JWT_SIGNING_KEY: unsupported key type ${type}`);
}
