/**
 * Rotating the backend-JWT signing key without downtime (docs/adr/0085), on two in-process
 * gateway replicas (in-memory twins of the introspection, cache and rate-limit ports): the next
 * key is published as a verification key first, so an upstream whose JWKS cache was filled
 * before the rotation verifies every assertion of both replicas while one of them already signs
 * with the new key and the other still with the old one.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { createLocalJWKSet, exportJWK, jwtVerify } from 'jose';
import { InMemoryIntrospector } from '../src/auth/introspection.ts';
import { BackendJwtSigner } from '../src/proxy/backend-jwt.ts';
import type { EchoUpstream } from './support/echo-upstream.ts';
import { startEchoUpstream } from './support/echo-upstream.ts';
import { appTokenClaims, snapshotFixture } from './support/fixtures.ts';
import type { TestGateway } from './support/inprocess.ts';
import { startTestGateway } from './support/inprocess.ts';

const pem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
const OLD = pem();
const NEXT = pem();

async function publicJwks(...pems: string[]): Promise<string> {
  const keys = [];
  for (const p of pems) {
    const { createPublicKey } = await import('node:crypto');
    keys.push({ ...(await exportJWK(createPublicKey(p))), alg: 'ES256' });
  }
  return JSON.stringify({ keys });
}

let upstream: EchoUpstream;
const km = new InMemoryIntrospector();
const replicas: TestGateway[] = [];

before(async () => {
  upstream = await startEchoUpstream();
  km.register('tok-rot', appTokenClaims('client-prod', 'PRODUCTION'));
});
after(async () => {
  for (const r of replicas) await r.close();
  await upstream?.close();
});

async function replica(env: Record<string, string>): Promise<TestGateway> {
  const gw = await startTestGateway({
    snapshot: snapshotFixture({ upstreamUrl: upstream.url }),
    introspector: km,
    env: { BACKEND_JWT_ENABLED: 'true', ...env },
  });
  replicas.push(gw);
  return gw;
}

async function jwksOf(gw: TestGateway): Promise<JSONWebKeySet> {
  return (await (await fetch(`${gw.adminUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
}

/** `n` calls spread over the replicas; every backend JWT the upstream received, in order. */
async function assertionsThrough(gws: TestGateway[], n: number): Promise<string[]> {
  const before = upstream.requests.length;
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      fetch(`${gws[i % gws.length]?.url}/twitter/1.0.0/rotate-${i}`, {
        headers: { authorization: 'Bearer tok-rot' },
      }),
    ),
  );
  for (const a of answers) assert.equal(a.status, 200);
  return upstream.requests.slice(before).map((r) => String(r.headers['x-jwt-assertion']));
}

describe('backend JWT key rotation', () => {
  it('an upstream that cached the JWKS before the rotation verifies every assertion of both replicas during it', async () => {
    // Step 1 of the rotation: every replica still signs with the old key and publishes the next.
    const stepOne = { BACKEND_JWT_SIGNING_KEY: OLD, BACKEND_JWT_PUBLISHED_JWKS: await publicJwks(NEXT) };
    const a = await replica(stepOne);
    const b = await replica(stepOne);
    const cached = createLocalJWKSet(await jwksOf(b)); // the upstream's cache, never refreshed below
    assert.equal((await jwksOf(a)).keys.length, 2);
    assert.equal((await jwksOf(a)).keys[0]?.kid, a.signer.kid, 'the signing key is listed first');

    // Step 2, halfway through the rollout: replica c signs with the next key, b still with the old.
    const c = await replica({
      BACKEND_JWT_SIGNING_KEY: NEXT,
      BACKEND_JWT_PUBLISHED_JWKS: await publicJwks(OLD),
    });
    assert.notEqual(c.signer.kid, b.signer.kid);
    const assertions = await assertionsThrough([b, c], 60);
    const kids = new Set<string>();
    let failures = 0;
    for (const jwt of assertions) {
      try {
        const { protectedHeader } = await jwtVerify(jwt, cached, { issuer: 'portico-gateway' });
        kids.add(String(protectedHeader.kid));
      } catch {
        failures += 1;
      }
    }
    assert.equal(failures, 0, 'no assertion failed verification during the rotation');
    assert.deepEqual(kids, new Set([b.signer.kid, c.signer.kid]), 'both keys were in use');
  });

  it('without the next key published first, the cached JWKS refuses the new key (what the procedure prevents)', async () => {
    const old = await replica({ BACKEND_JWT_SIGNING_KEY: OLD });
    const cached = createLocalJWKSet(await jwksOf(old));
    const next = await replica({ BACKEND_JWT_SIGNING_KEY: NEXT });
    const [jwt] = await assertionsThrough([next], 1);
    await assert.rejects(jwtVerify(String(jwt), cached, { issuer: 'portico-gateway' }));
  });

  it('a verification key with a private part, or one that is not a key, stops the start with a clear message', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const privateJwk = await exportJWK(createPrivateKey(NEXT));
    for (const [keys, why] of [
      [JSON.stringify({ keys: [privateJwk] }), /private part/],
      [JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'nope', y: 'nope' }] }), /not a usable/],
      ['not json', /expected JSON/],
      [JSON.stringify({ keys: [] }), /at least one key/],
    ] as const) {
      await assert.rejects(
        BackendJwtSigner.create({ key: OLD, verificationKeys: keys, issuer: 'x', ttlSeconds: 60 }),
        (err: Error) => {
          assert.match(err.message, /^BACKEND_JWT_PUBLISHED_JWKS: /);
          assert.match(err.message, why);
          assert.doesNotMatch(err.message, new RegExp(String(privateJwk.d)));
          return true;
        },
      );
    }
  });
});
