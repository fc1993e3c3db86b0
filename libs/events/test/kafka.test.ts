import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHttpApp, createMetrics } from '@portico/core';
import { sharedInfra, testLogger, uniqueName, waitFor } from '@portico/testing';
import type { RevocationEvent } from '../src/index.ts';
import {
  EventBus,
  FatalEventError,
  makeEvent,
  revocationEvent,
  topicNames,
  topicSpecs,
} from '../src/index.ts';

const logger = testLogger('events-test');
const { kafkaBrokers } = sharedInfra();

async function setup() {
  const bus = new EventBus({ brokers: kafkaBrokers, clientId: uniqueName('client'), logger });
  const topics = topicNames(`${uniqueName('t')}.`);
  await bus.ensureTopics(topicSpecs(topics, { revocationRetentionMs: 3_600_000, partitions: 2 }));
  return { bus, topics };
}

test('a revocation event survives a round trip through the real broker, validated on both sides', async (t) => {
  const { bus, topics } = await setup();
  const publisher = await bus.publisher();
  t.after(() => publisher.close());
  const sent = makeEvent(
    'token.revoked',
    {
      tokenHash: 'a'.repeat(64),
      clientId: 'cl_1',
      jti: 'j1',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    },
    'test',
  );
  await publisher.publish(topics.revocations, [sent]);

  const received: Array<{ event: RevocationEvent; key: string | null }> = [];
  const consumer = await bus.consume({
    broadcast: true,
    topics: [topics.revocations],
    schema: revocationEvent,
    handle: (event, meta) => {
      received.push({ event, key: meta.key });
    },
  });
  t.after(() => consumer.stop());
  await consumer.caughtUp;
  assert.equal(received.length, 1);
  assert.deepEqual(received[0]?.event, sent);
  assert.equal(received[0]?.key, `token:${'a'.repeat(64)}`);
});

test('the revocations topic is compacted', async () => {
  const { bus, topics } = await setup();
  const configs = await bus.admin((admin) =>
    admin.describeConfigs({ resources: [{ type: 2, name: topics.revocations }], includeSynonyms: false }),
  );
  const entries = configs.resources[0]?.configEntries ?? [];
  const policy = entries.find((e) => e.configName === 'cleanup.policy')?.configValue;
  assert.match(policy ?? '', /compact/);
});

test('broadcast consumers each see every event and report caught-up after the replay', async (t) => {
  const { bus, topics } = await setup();
  const publisher = await bus.publisher();
  t.after(() => publisher.close());
  const events = Array.from({ length: 20 }, (_, i) =>
    makeEvent('grant.revoked', { grantId: `g${i}`, clientId: 'c', expiresAt: null }, 'test'),
  );
  await publisher.publish(topics.revocations, events);

  const seen = [new Set<string>(), new Set<string>()];
  const consumers = await Promise.all(
    seen.map((set) =>
      bus.consume({
        broadcast: true,
        topics: [topics.revocations],
        schema: revocationEvent,
        handle: (event) => {
          set.add(event.id);
        },
      }),
    ),
  );
  t.after(() => Promise.all(consumers.map((c) => c.stop())));
  await Promise.all(consumers.map((c) => c.caughtUp));
  for (const set of seen) assert.equal(set.size, 20);
  assert.equal(consumers[0]?.lag(), 0);

  // Live events after the replay reach both as well.
  const late = makeEvent('grant.revoked', { grantId: 'late', clientId: 'c', expiresAt: null }, 'test');
  await publisher.publish(topics.revocations, [late]);
  await waitFor(() => seen.every((s) => s.has(late.id)), {
    timeoutMs: 15_000,
    message: 'late event not broadcast',
  });
});

test('invalid messages are skipped without stopping the consumer', async (t) => {
  const { bus, topics } = await setup();
  await bus.admin(async () => undefined);
  const raw = await bus.publisher();
  t.after(() => raw.close());
  // A message that is JSON but not an event, published through kafkajs directly via admin-free path:
  const bogus = {
    ...makeEvent('grant.revoked', { grantId: 'x', clientId: 'c', expiresAt: null }, 't'),
  } as Record<string, unknown>;
  bogus['version'] = 99;
  // publish() validates nothing on the way out (the producer trusts typed callers), so this goes out as is.
  await raw.publish(topics.revocations, [bogus as never]);
  const good = makeEvent('grant.revoked', { grantId: 'ok', clientId: 'c', expiresAt: null }, 't');
  await raw.publish(topics.revocations, [good]);
  const handled: string[] = [];
  const consumer = await bus.consume({
    broadcast: true,
    topics: [topics.revocations],
    schema: revocationEvent,
    handle: (e) => {
      handled.push(e.id);
    },
  });
  t.after(() => consumer.stop());
  await consumer.caughtUp;
  assert.deepEqual(handled, [good.id]);
  await consumer.health().check();
});

test('a consumer that crashes on a fatal error makes /readyz answer 503', async (t) => {
  const { bus, topics } = await setup();
  const publisher = await bus.publisher();
  t.after(() => publisher.close());
  const consumer = await bus.consume({
    broadcast: true,
    topics: [topics.revocations],
    schema: revocationEvent,
    handle: () => {
      throw new FatalEventError('cannot apply');
    },
  });
  t.after(() => consumer.stop());
  const app = createHttpApp(
    { logger, metrics: createMetrics('t'), readiness: [consumer.health()] },
    () => {},
  );
  const server = app.listen(0, '127.0.0.1');
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/readyz`;
  assert.equal((await fetch(url)).status, 200);

  await publisher.publish(topics.revocations, [
    makeEvent('grant.revoked', { grantId: 'boom', clientId: 'c', expiresAt: null }, 'test'),
  ]);
  const res = await waitFor(
    async () => {
      const r = await fetch(url);
      return r.status === 503 ? r : undefined;
    },
    { timeoutMs: 20_000, message: '/readyz did not turn 503 after the consumer crashed' },
  );
  const body = (await res.json()) as { checks: Record<string, string> };
  assert.match(Object.values(body.checks).join(' '), /consumer crashed: cannot apply/);
});

test('idle connections arm no busy timers (kafkajs patched: patches/kafkajs@2.2.4.patch)', async (t) => {
  const { createHook } = await import('node:async_hooks');
  const { bus, topics } = await setup();
  const publisher = await bus.publisher();
  t.after(() => publisher.close());
  await publisher.publish(topics.revocations, [
    makeEvent('domain.tokens_revoked', { domain: 'PRIMARY', revokedBefore: new Date().toISOString() }, 't'),
  ]);
  // Unpatched, every connection that has answered a request re-arms a 1 ms timer forever
  // (tulios/kafkajs#1751): hundreds of timers in half a second, and a few % of a core each.
  let timers = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'Timeout') timers += 1;
    },
  }).enable();
  await new Promise((r) => setTimeout(r, 500));
  hook.disable();
  assert.ok(timers < 25, `${timers} timers created by an idle publisher in 500 ms`);
});
