/**
 * The revocation outbox against a private Kafka that we stop and restart: with Kafka down,
 * 100 revocations all answer 200 (durable in the outbox) and once Kafka is back every one of
 * them appears on the compacted revocations topic, keyed for ordering.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { ClientEvent, RevocationEvent } from '@portico/events';
import { clientEvent, revocationEvent, topicNames } from '@portico/events';
import type { PrivateService } from '@portico/testing';
import { startPrivateKafka, waitFor } from '@portico/testing';
import type { Running } from './harness.ts';
import { basic, createClient, startKeyManager, tokenRequest } from './harness.ts';

let kafka: PrivateService;
let km: Running;

before(async () => {
  kafka = await startPrivateKafka();
  km = await startKeyManager({}, { brokers: [kafka.url] });
});
after(async () => {
  await km?.close();
  await kafka?.dispose();
});

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

test('with Kafka stopped 100 revocations answer 200; after restart all 100 events are on the topic', async () => {
  const c = await createClient(km, {});
  const client = { id: c.clientId, secret: c.clientSecret };
  const tokens: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    const res = await tokenRequest(km, client, { grant_type: 'client_credentials' });
    assert.equal(res.status, 200);
    tokens.push(((await res.json()) as { access_token: string }).access_token);
  }

  await kafka.stop();
  for (const token of tokens) {
    const res = await fetch(`${km.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        authorization: basic(client.id, client.secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    assert.equal(res.status, 200);
  }
  const stats = await km.km.outbox.stats();
  assert.equal(stats.pending, 100, 'all 100 are durable and pending while Kafka is down');

  await kafka.start();
  await waitFor(async () => (await km.km.outbox.stats()).pending === 0, {
    timeoutMs: 90_000,
    intervalMs: 500,
    message: 'outbox drained after Kafka restart',
  });

  const seen = new Map<string, RevocationEvent>();
  const keys = new Map<string, string | null>();
  const consumer = await km.bus.consume({
    broadcast: true,
    topics: [km.topic],
    schema: revocationEvent,
    handle: (event, meta) => {
      if (event.type === 'token.revoked') {
        seen.set(event.data.tokenHash, event);
        keys.set(event.data.tokenHash, meta.key);
      }
    },
  });
  try {
    // A new consumer group on a just-restarted broker can wait long for its coordinator under load.
    await waitFor(() => seen.size >= 100, {
      timeoutMs: 90_000,
      message: 'all 100 revocation events consumed',
    });
  } finally {
    await consumer.stop();
  }
  for (const token of tokens) {
    const event = seen.get(sha256(token));
    assert.ok(event, 'event for each revoked token');
    assert.equal(event.type === 'token.revoked' && event.data.clientId, client.id);
    assert.equal(keys.get(sha256(token)), `token:${sha256(token)}`);
    assert.ok(!JSON.stringify(event).includes(token), 'no raw token on the topic');
  }
});

test('"every token issued before T" reaches the topic as one event per client and per domain', async () => {
  const c = await createClient(km, {});
  const res = await km.adminFetch('/admin/revocations', {
    method: 'POST',
    body: { issuedBefore: new Date().toISOString() },
  });
  assert.equal(res.status, 200);
  const clients = new Set<string>();
  const domains = new Set<string>();
  const consumer = await km.bus.consume({
    broadcast: true,
    topics: [km.topic],
    schema: revocationEvent,
    handle: (event) => {
      if (event.type === 'client.tokens_revoked') clients.add(event.data.clientId);
      if (event.type === 'domain.tokens_revoked') domains.add(event.data.domain);
    },
  });
  try {
    await waitFor(() => clients.has(c.clientId) && domains.size === 3, {
      timeoutMs: 60_000,
      message: 'expanded revocation events consumed',
    });
  } finally {
    await consumer.stop();
  }
  assert.deepEqual([...domains].sort(), ['PARTNERS.EXAMPLE.COM', 'PRIMARY', 'STAFF.EXAMPLE.COM']);
});

test('client changes reach the clients topic in order with increasing revisions', async () => {
  const c = await createClient(km, { keyType: 'SANDBOX', tokenFormat: 'jwt' });
  assert.equal(
    (await km.adminFetch(`/admin/clients/${c.clientId}`, { method: 'PATCH', body: { disabled: true } }))
      .status,
    200,
  );
  assert.equal((await km.adminFetch(`/admin/clients/${c.clientId}`, { method: 'DELETE' })).status, 204);
  const seen: ClientEvent[] = [];
  const consumer = await km.bus.consume({
    broadcast: true,
    topics: [topicNames(km.config.KAFKA_TOPIC_PREFIX).clients],
    schema: clientEvent,
    handle: (event) => {
      if (event.data.clientId === c.clientId) seen.push(event);
    },
  });
  try {
    await waitFor(() => seen.length >= 3, { timeoutMs: 60_000, message: 'client events consumed' });
  } finally {
    await consumer.stop();
  }
  assert.deepEqual(
    seen.map((e) => [e.type, e.data.revision, e.type === 'client.upserted' ? e.data.disabled : null]),
    [
      ['client.upserted', 1, false],
      ['client.upserted', 2, true],
      ['client.deleted', 3, null],
    ],
  );
  const first = seen[0];
  assert.ok(first?.type === 'client.upserted');
  assert.equal(first.data.keyType, 'SANDBOX');
  assert.equal(first.data.tokenFormat, 'jwt');
  assert.equal(first.data.applicationId, 'app_1');
});
