/**
 * Local JWT validation against a JWKS served over real HTTP: claim checks, algorithm
 * confusion, unknown-kid refetch bounded by the cooldown, JWKS outage = unavailable.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { CryptoKey, JWK } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { JwtVerifier } from '../src/auth/jwt.ts';

const ISSUER = 'http://key-manager.test';
let server: Server;
let jwksUrl: string;
let fetches = 0;
let served: JWK[] = [];
let signing: { privateKey: CryptoKey; kid: string };
let rotated: { privateKey: CryptoKey; kid: string; jwk: JWK };
let publicJwk: JWK;

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, kid, jwk };
}

function token(
  claims: Record<string, unknown>,
  opts: {
    key?: { privateKey: CryptoKey; kid: string };
    typ?: string;
    exp?: string | number;
    nbf?: number;
  } = {},
) {
  const key = opts.key ?? signing;
  const jwt = new SignJWT({
    client_id: 'c1',
    scope: 'default',
    key_type: 'PRODUCTION',
    token_type: 'application',
    iat_ms: Date.now(),
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: opts.typ ?? 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience('portico-gateway')
    .setSubject('c1')
    .setIssuedAt()
    .setJti(`j-${Math.random()}`)
    .setExpirationTime(opts.exp ?? '1h');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

function verifier(overrides: Partial<ConstructorParameters<typeof JwtVerifier>[0]> = {}) {
  return new JwtVerifier({
    jwksUrl,
    issuer: ISSUER,
    audience: 'portico-gateway',
    cooldownMs: 60_000,
    maxAgeMs: 600_000,
    timeoutMs: 1000,
    clockToleranceSeconds: 0,
    ...overrides,
  });
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

before(async () => {
  const first = await keyPair('k1');
  signing = first;
  publicJwk = first.jwk;
  rotated = await keyPair('k2');
  served = [first.jwk];
  server = createServer((_req, res) => {
    fetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: served }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

describe('JWT access tokens', () => {
  it('accepts a valid at+jwt token and maps its claims to facts', async () => {
    const result = await verifier().verify(await token({ grant_id: 'g1', user_store_domain: 'PRIMARY' }));
    assert.equal(result.valid, true);
    if (result.valid) {
      assert.equal(result.facts.clientId, 'c1');
      assert.equal(result.facts.keyType, 'PRODUCTION');
      assert.equal(result.facts.grantId, 'g1');
      assert.equal(result.facts.format, 'jwt');
      assert.ok(result.facts.exp !== null && result.facts.issuedAtMs > 0);
    }
  });

  it('rejects a wrong issuer, a wrong audience, a wrong typ, an expired and a not-yet-valid token', async () => {
    const v = verifier();
    const wrongIss = await new SignJWT({ client_id: 'c1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer('http://evil')
      .setAudience('portico-gateway')
      .setExpirationTime('1h')
      .sign(signing.privateKey);
    const wrongAud = await new SignJWT({ client_id: 'c1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience('other')
      .setExpirationTime('1h')
      .sign(signing.privateKey);
    const outcomes = {
      iss: await v.verify(wrongIss),
      aud: await v.verify(wrongAud),
      typ: await v.verify(await token({}, { typ: 'JWT' })),
      exp: await v.verify(await token({}, { exp: Math.floor(Date.now() / 1000) - 60 })),
      nbf: await v.verify(await token({}, { nbf: Math.floor(Date.now() / 1000) + 600 })),
    };
    for (const [name, r] of Object.entries(outcomes)) assert.equal(r.valid, false, name);
    assert.equal(outcomes.exp.valid === false && outcomes.exp.code, 'expired');
  });

  it('rejects alg none and an HMAC token keyed with the public key', async () => {
    const v = verifier();
    const payload = {
      client_id: 'c1',
      iss: ISSUER,
      aud: 'portico-gateway',
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    const none = `${b64({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${b64(payload)}.`;
    assert.equal((await v.verify(none)).valid, false);
    // The classic confusion: HS256 with the RSA public key (as JWK JSON and as its modulus) as secret.
    const { createHmac } = await import('node:crypto');
    for (const secret of [JSON.stringify(publicJwk), String(publicJwk.n)]) {
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${b64(payload)}`;
      const sig = createHmac('sha256', secret).update(input).digest('base64url');
      assert.equal((await v.verify(`${input}.${sig}`)).valid, false);
    }
  });

  it('refetches the JWKS for an unknown kid at most once per cooldown', async () => {
    const v = verifier({ cooldownMs: 60_000 });
    assert.equal((await v.verify(await token({}))).valid, true);
    const afterFirst = fetches;
    // A key the server does not publish yet: one refetch, then nothing until the cooldown ends.
    const unknown = await token({}, { key: rotated });
    // The first fetch just happened, so the cooldown is on: no refetch at all.
    assert.equal((await v.verify(unknown)).valid, false);
    assert.equal((await v.verify(unknown)).valid, false);
    assert.equal(fetches, afterFirst);
    // With a zero cooldown, a rotated key published by the server is picked up by one refetch.
    const fresh = verifier({ cooldownMs: 0 });
    assert.equal((await fresh.verify(await token({}))).valid, true);
    served = [publicJwk, rotated.jwk];
    const before2 = fetches;
    assert.equal((await fresh.verify(unknown)).valid, true);
    assert.equal(fetches, before2 + 1);
    served = [publicJwk];
  });

  it('reports the JWKS unreachable as unavailable, not as an invalid token', async () => {
    const v = verifier({ jwksUrl: 'http://127.0.0.1:1/jwks' });
    await assert.rejects(v.verify(await token({})), { name: 'VerificationUnavailable' });
  });
});
