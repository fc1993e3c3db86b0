import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Lifecycle, PortalConfig } from '@portico/contracts';
import { LIFECYCLE_TRANSITIONS, LIFECYCLES } from '@portico/contracts';
import { lifecycleSchema } from '@portico/events';
import type { Harness } from './harness.ts';
import { ADMIN, startHarness } from './harness.ts';

const PORTAL_SRC = new URL('../../portal/src/', import.meta.url).pathname;

/** The shortest path of transitions from CREATED to `to`. */
function pathTo(to: Lifecycle): Lifecycle[] {
  const queue: Lifecycle[][] = [['CREATED']];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const last = path.at(-1)!;
    if (last === to) return path.slice(1);
    for (const next of LIFECYCLE_TRANSITIONS[last]) if (!path.includes(next)) queue.push([...path, next]);
  }
  throw new Error(`${to} is unreachable`);
}

function keyShape(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, keyShape(v)]),
  );
}

describe('contracts shared by the store and the portal (libs/contracts)', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await startHarness({ consume: false });
    admin = h.user(ADMIN, ['developer', 'admin']);
  });
  after(() => h.close());

  it('the store allows exactly the lifecycle transitions of the shared table', async () => {
    assert.deepEqual(lifecycleSchema.options, [...LIFECYCLES], 'the event schema has the same states');
    let n = 0;
    for (const from of LIFECYCLES) {
      for (const to of LIFECYCLES) {
        if (to === from) continue;
        n += 1;
        const created = await h.call('POST', '/api/v1/apis', {
          token: admin,
          body: {
            name: `Lc${n}`,
            version: '1.0.0',
            context: `/lc${n}/1.0.0`,
            productionUrl: 'https://x.example',
          },
        });
        assert.equal(created.status, 201);
        const lifecycle = `/api/v1/apis/${created.body.id}/lifecycle`;
        for (const step of pathTo(from)) {
          assert.equal(
            (await h.call('POST', lifecycle, { token: admin, body: { state: step } })).status,
            200,
          );
        }
        const res = await h.call('POST', lifecycle, { token: admin, body: { state: to } });
        const allowed = LIFECYCLE_TRANSITIONS[from].includes(to);
        assert.equal(res.status, allowed ? 200 : 409, `${from} -> ${to}`);
        if (!allowed) assert.equal(res.body.error.code, 'invalid_lifecycle_transition');
      }
    }
  });

  it('GET /portal-config.json answers the shared PortalConfig shape, field for field', async () => {
    const res = await h.call('GET', '/portal-config.json');
    assert.equal(res.status, 200);
    const expected: PortalConfig = {
      gatewayUrl: '',
      clientDomainHeader: '',
      tokenValidity: { defaultSeconds: 0, minSeconds: 0, maxSeconds: 0, allowNeverExpires: false },
      tokenUrl: '',
      authorizeUrl: '',
      endSession: { url: '', clientId: '', postLogoutRedirectUri: '' },
    };
    assert.deepEqual(keyShape(res.body), keyShape(expected));
  });

  it('the portal imports the lifecycle table and PortalConfig instead of keeping copies', () => {
    const files = readdirSync(PORTAL_SRC, { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.tsx?$/.test(f),
    );
    for (const file of files) {
      const text = readFileSync(join(PORTAL_SRC, file), 'utf8');
      assert.doesNotMatch(text, /interface PortalConfig\b/, `${file} declares its own PortalConfig`);
      assert.doesNotMatch(text, /CREATED:\s*\[/, `${file} keeps its own lifecycle transition table`);
    }
    const adminApis = readFileSync(join(PORTAL_SRC, 'pages/AdminApis.tsx'), 'utf8');
    assert.match(adminApis, /import \{[^}]*LIFECYCLE_TRANSITIONS[^}]*\} from '@portico\/contracts'/);
  });
});
