/**
 * DPoP end to end (RFC 9449) with a stock client: oauth4webapi gets a DPoP-bound token from the
 * real key-manager (its own process) and calls two gateway replicas (processes, shared Redis)
 * with its proofs. A bound token is never accepted as Bearer; a proof is bound to the key, the
 * method, the URL and the token, fresh, and usable once across replicas.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReadModelSnapshot } from '@portico/events';
import { EventBus, topicNames, topicSpecs } from '@portico/events';
import type { PrivateService } from '@portico/testing';
import { freePorts, sharedInfra, startPrivateRedis, testLogger, uniqueName } from '@portico/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { EchoUpstream } from './support/echo-upstream.ts';
import { startEchoUpstream } from './support/echo-upstream.ts';
import type { GatewayReplica, KeyManagerProcess } from './support/processes.ts';
import { gatewayReplica, keyManagerProcess } from './support/processes.ts';

const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;
const GATEWAY_SECRET = `gw-${randomBytes(12).toString('hex')}`;
const infra = sharedInfra();
const prefix = `${uniqueName('gwdpop')}.`;
const topics = topicNames(prefix);
const bus = new EventBus({ brokers: infra.kafkaBrokers, clientId: 'gateway-dpop', logger: testLogger() });
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let upstream: EchoUpstream;
let redis: PrivateService;
let km: KeyManagerProcess;
let issuer = '';
let a: GatewayReplica;
let b: GatewayReplica;
let as: oauth.AuthorizationServer;
const clients: Record<'opaque' | 'jwt', { id: string; secret: string }> = {
  opaque: { id: '', secret: '' },
  jwt: { id: '', secret: '' },
};

function snapshot(): ReadModelSnapshot {
  const app = (format: 'opaque' | 'jwt') => ({
    revision: 1,
    applicationId: `app_${format}`,
    name: format,
    owner: 'PRIMARY/alice',
    tier: null,
    keys: [{ keyType: 'PRODUCTION' as const, clientId: clients[format].id, allowedDomains: [] }],
  });
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    position: {},
    apis: [
      {
        revision: 1,
        apiId: 'api_dpop',
        name: 'dpop',
        version: '1.0.0',
        context: '/dpop/1.0.0',
        productionUrl: `${upstream.url}/api_dpop`,
        sandboxUrl: null,
        scopes: [],
        lifecycle: 'PUBLISHED',
      },
    ],
    tiers: [{ revision: 1, name: 'Unlimited', requests: null, unitSeconds: 60, burst: null }],
    applications: [app('opaque'), app('jwt')],
    subscriptions: (['opaque', 'jwt'] as const).map((f) => ({
      revision: 1,
      subscriptionId: `sub_${f}`,
      applicationId: `app_${f}`,
      apiId: 'api_dpop',
      tier: 'Unlimited',
      status: 'ACTIVE' as const,
    })),
  };
}

before(async () => {
  upstream = await startEchoUpstream();
  redis = await startPrivateRedis({ persistent: false });
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3600_000, partitions: 1 }));
  const [kmPort, kmAdminPort, aPort, aAdmin, bPort, bAdmin] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  issuer = `http://127.0.0.1:${kmPort}`;
  km = await keyManagerProcess({
    ports: { port: kmPort, adminPort: kmAdminPort },
    mongoUrl: infra.mongoUrl,
    kafkaBrokers: infra.kafkaBrokers,
    topicPrefix: prefix,
    adminToken: ADMIN_TOKEN,
    gatewaySecret: GATEWAY_SECRET,
  });
  await km.start();
  for (const format of ['opaque', 'jwt'] as const) {
    const created = await km.admin('/admin/clients', {
      applicationId: `app_${format}`,
      keyType: 'PRODUCTION',
      tokenFormat: format,
      grantTypes: ['client_credentials'],
    });
    clients[format] = { id: String(created['clientId']), secret: String(created['clientSecret']) };
  }
  const file = path.join(tmpdir(), `${uniqueName('readmodel')}.json`);
  await writeFile(file, JSON.stringify(snapshot()));
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    KEY_MANAGER_URL: issuer,
    GATEWAY_CLIENT_SECRET: GATEWAY_SECRET,
    READ_MODEL_FILE: file,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `${prefix}:`,
    CACHE_INTEGRITY_KEY: randomBytes(32).toString('hex'),
    BACKEND_JWT_ENABLED: 'false',
  };
  a = await gatewayReplica('gw-a', { port: aPort, adminPort: aAdmin }, env);
  b = await gatewayReplica('gw-b', { port: bPort, adminPort: bAdmin }, env);
  await Promise.all([a.start(), b.start()]);
  as = await oauth.processDiscoveryResponse(
    new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), insecure),
  );
});

after(async () => {
  for (const p of [a, b, km]) await p?.dispose().catch(() => undefined);
  await redis?.dispose().catch(() => undefined);
  await upstream?.close();
  await bus
    .admin((ad) => ad.deleteTopics({ topics: Object.values(topics), timeout: 5000 }))
    .catch(() => undefined);
});

/** A DPoP-bound token from the key-manager through oauth4webapi, with its DPoP handle. */
async function boundToken(format: 'opaque' | 'jwt') {
  const keyPair = await generateKeyPair('ES256', { extractable: true });
  const client: oauth.Client = { client_id: clients[format].id };
  const DPoP = oauth.DPoP(client, keyPair);
  const grant = () =>
    oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(clients[format].secret),
      {},
      {
        DPoP,
        ...insecure,
      },
    );
  let response = await grant();
  // The key-manager may ask for a nonce first (RFC 9449 §8): oauth4webapi retries with it.
  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await oauth.processClientCredentialsResponse(as, client, response);
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    response = await grant();
    tokens = await oauth.processClientCredentialsResponse(as, client, response);
  }
  assert.equal(tokens.token_type.toLowerCase(), 'dpop', 'the key-manager issued a DPoP-bound token');
  return { token: tokens.access_token, DPoP, keyPair };
}

/** A proof signed by hand (to vary one claim at a time). */
async function proof(
  keyPair: Awaited<ReturnType<typeof generateKeyPair>>,
  claims: { htm: string; htu: string; ath?: string; iat?: number; jti?: string },
): Promise<string> {
  const jwk = await exportJWK(keyPair.publicKey);
  return new SignJWT({
    htm: claims.htm,
    htu: claims.htu,
    ...(claims.ath ? { ath: claims.ath } : {}),
    jti: claims.jti ?? randomBytes(12).toString('hex'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(keyPair.privateKey);
}

const athOf = async (token: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString('base64url');

async function callWith(gw: GatewayReplica, headers: Record<string, string>, pathname = '/dpop/1.0.0/hello') {
  const res = await fetch(`${gw.url}${pathname}`, { headers, signal: AbortSignal.timeout(5000) });
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
  return { status: res.status, code: body.error?.code, challenge: res.headers.get('www-authenticate') };
}

describe('DPoP-bound tokens at the gateway (RFC 9449)', () => {
  for (const format of ['opaque', 'jwt'] as const) {
    it(`${format}: the stock client's DPoP calls pass on both replicas; the same token as Bearer is refused`, async () => {
      const { token, DPoP } = await boundToken(format);
      for (const gw of [a, b]) {
        const res = await oauth.protectedResourceRequest(
          token,
          'GET',
          new URL(`${gw.url}/dpop/1.0.0/hello`),
          undefined,
          undefined,
          { DPoP, ...insecure },
        );
        assert.equal(res.status, 200, `${format} via ${gw.name}: ${await res.text()}`);
        const bearer = await callWith(gw, { authorization: `Bearer ${token}` });
        assert.equal(bearer.status, 401, `${format} as Bearer via ${gw.name}`);
        assert.equal(bearer.code, 'invalid_token');
      }
    });
  }

  it('a proof is refused when missing, replayed on the other replica, for another URL, method or token, stale, or signed by another key', async () => {
    const { token, keyPair } = await boundToken('opaque');
    const ath = await athOf(token);
    const htu = (gw: GatewayReplica) => `${gw.url}/dpop/1.0.0/hello`;
    const dpop = (p: string) => ({ authorization: `DPoP ${token}`, dpop: p });

    const missing = await callWith(a, { authorization: `DPoP ${token}` });
    assert.deepEqual([missing.status, missing.code], [401, 'invalid_dpop_proof']);
    assert.match(missing.challenge ?? '', /^DPoP error="invalid_dpop_proof"/);

    const once = await proof(keyPair, { htm: 'GET', htu: htu(a), ath });
    assert.equal((await callWith(a, dpop(once))).status, 200);
    const replayedElsewhere = await proof(keyPair, { htm: 'GET', htu: htu(b), ath, jti: 'same-jti' });
    assert.equal((await callWith(b, dpop(replayedElsewhere))).status, 200);
    const again = await proof(keyPair, { htm: 'GET', htu: htu(a), ath, jti: 'same-jti' });
    assert.deepEqual(
      [(await callWith(a, dpop(again))).code],
      ['invalid_dpop_proof'],
      'a jti used at replica b is refused at replica a',
    );

    const other = await generateKeyPair('ES256', { extractable: true });
    const cases: Array<[string, Promise<string>]> = [
      ['another URL', proof(keyPair, { htm: 'GET', htu: `${a.url}/dpop/1.0.0/other`, ath })],
      ['another method', proof(keyPair, { htm: 'POST', htu: htu(a), ath })],
      ['another token', proof(keyPair, { htm: 'GET', htu: htu(a), ath: await athOf('x') })],
      ['no ath', proof(keyPair, { htm: 'GET', htu: htu(a) })],
      ['stale', proof(keyPair, { htm: 'GET', htu: htu(a), ath, iat: Math.floor(Date.now() / 1000) - 600 })],
      ['another key', proof(other, { htm: 'GET', htu: htu(a), ath })],
    ];
    for (const [name, p] of cases) {
      const res = await callWith(a, dpop(await p));
      assert.deepEqual([res.status, res.code], [401, 'invalid_dpop_proof'], name);
    }
  });

  it('an unbound token sent with the DPoP scheme is refused', async () => {
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clients.opaque.id}:${clients.opaque.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const plain = ((await res.json()) as { access_token: string }).access_token;
    assert.equal((await callWith(a, { authorization: `Bearer ${plain}` })).status, 200);
    const keyPair = await generateKeyPair('ES256', { extractable: true });
    const p = await proof(keyPair, { htm: 'GET', htu: `${a.url}/dpop/1.0.0/hello`, ath: await athOf(plain) });
    const asDpop = await callWith(a, { authorization: `DPoP ${plain}`, dpop: p });
    assert.deepEqual([asDpop.status, asDpop.code], [401, 'invalid_token']);
  });
});
