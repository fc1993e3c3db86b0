/** The read model: loading a snapshot (file and store endpoint, same parser) and revisions. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeEvent } from '@portico/events';
import { uniqueName } from '@portico/testing';
import { fetchSnapshot, parseSnapshot } from '../src/readmodel/loader.ts';
import { ReadModel } from '../src/readmodel/model.ts';
import { snapshotFixture } from './support/fixtures.ts';

const fixture = snapshotFixture({ upstreamUrl: 'http://127.0.0.1:9' });

describe('snapshot loader', () => {
  it('loads the same snapshot from a file and from the store endpoint (with its bearer token)', async () => {
    const file = path.join(tmpdir(), `${uniqueName('rm')}.json`);
    await writeFile(file, JSON.stringify(fixture));
    const fromFile = await fetchSnapshot({ kind: 'file', path: file });
    let auth: string | undefined;
    const server = createServer((req, res) => {
      auth = req.headers.authorization;
      if (req.url !== '/internal/read-model') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(fixture));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const fromStore = await fetchSnapshot({ kind: 'store', url, token: 'rm-token', timeoutMs: 2000 });
      assert.deepEqual(fromStore, fromFile);
      assert.equal(auth, 'Bearer rm-token');
    } finally {
      server.close();
    }
  });

  it('refuses an invalid snapshot with a message naming the source and the field', () => {
    const bad = { ...fixture, apis: [{ ...fixture.apis[0], context: '/a/../b' }] };
    assert.throws(() => parseSnapshot(JSON.stringify(bad), 'rm.json'), /rm\.json.*apis\.0\.context/);
    assert.throws(() => parseSnapshot('{', 'rm.json'), /rm\.json is not JSON/);
  });
});

describe('read model', () => {
  const model = () => {
    const m = new ReadModel();
    m.loadSnapshot(fixture);
    return m;
  };

  it('matches the longest context on segment boundaries only', () => {
    const m = model();
    assert.equal(m.matchApi('/twitter/1.0.0/search')?.api.apiId, 'api_twitter');
    assert.equal(m.matchApi('/twitter/1.0.0/search')?.rest, '/search');
    assert.equal(m.matchApi('/twitter/1.0.0')?.rest, '');
    assert.equal(m.matchApi('/twitter/1.0.00/x'), undefined);
    assert.equal(m.matchApi('/twitter'), undefined);
  });

  it('applies only newer revisions, and a delete is not undone by an older upsert replayed later', () => {
    const m = model();
    const sub = fixture.subscriptions[0];
    assert.ok(sub);
    m.apply(
      makeEvent(
        'subscription.deleted',
        {
          revision: 5,
          subscriptionId: sub.subscriptionId,
          applicationId: sub.applicationId,
          apiId: sub.apiId,
        },
        't',
      ),
    );
    m.apply(makeEvent('subscription.upserted', { ...sub, revision: 4 }, 't'));
    assert.equal(m.subscription(sub.applicationId, sub.apiId), undefined);
    m.apply(makeEvent('subscription.upserted', { ...sub, revision: 6, status: 'BLOCKED' }, 't'));
    assert.equal(m.subscription(sub.applicationId, sub.apiId)?.status, 'BLOCKED');
    const api = fixture.apis[0];
    assert.ok(api);
    m.apply(makeEvent('api.upserted', { ...api, revision: 2, context: '/twitter/2.0.0' }, 't'));
    assert.equal(m.matchApi('/twitter/1.0.0/x'), undefined);
    assert.equal(m.matchApi('/twitter/2.0.0/x')?.api.apiId, api.apiId);
  });

  it('re-indexes application keys when an application changes or is deleted', () => {
    const m = model();
    const app = fixture.applications[0];
    assert.ok(app);
    assert.equal(m.keyForClient('client-prod')?.application.applicationId, app.applicationId);
    m.apply(
      makeEvent(
        'application.upserted',
        {
          ...app,
          revision: 2,
          keys: [{ keyType: 'PRODUCTION', clientId: 'client-new', allowedDomains: ['a.example.com'] }],
        },
        't',
      ),
    );
    assert.equal(m.keyForClient('client-prod'), undefined);
    assert.deepEqual(m.keyForClient('client-new')?.allowedDomains, ['a.example.com']);
    m.apply(makeEvent('application.deleted', { revision: 3, applicationId: app.applicationId }, 't'));
    assert.equal(m.keyForClient('client-new'), undefined);
  });
});
