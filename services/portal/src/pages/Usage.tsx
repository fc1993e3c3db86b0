/**
 * An application's usage (GET /api/v1/applications/{id}/usage): requests and errors over time,
 * throttled requests, latency p50/p95, per API and key type, and each key's "last used".
 * The range picker, totals and charts are shared with the admins' API usage (usage-charts.tsx).
 */
import type { ApplicationUsage } from '@portico/contracts';
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { useSubscribedApis } from '../subscribed-apis.ts';
import type { Application } from '../types.ts';
import { Async, Field, useResource } from '../ui.tsx';
import type { RangeId } from '../usage-charts.tsx';
import { RangeField, rangeQuery, UsageCharts, UsageTotalsList } from '../usage-charts.tsx';

export function UsageSection(props: { app: Application }) {
  const subscribed = useSubscribedApis(props.app.id);
  const apis = subscribed.state === 'ok' ? subscribed.data : [];
  const [range, setRange] = useState<RangeId>('24h');
  const [apiId, setApiId] = useState('');
  const [keyType, setKeyType] = useState('');
  const usage = useResource(() => {
    const q = rangeQuery(range);
    if (apiId) q.set('apiId', apiId);
    if (keyType) q.set('keyType', keyType);
    return api.get<ApplicationUsage>(`/api/v1/applications/${enc(props.app.id)}/usage?${q}`);
  }, [props.app.id, range, apiId, keyType]);

  return (
    <section aria-labelledby="usage-heading">
      <h2 id="usage-heading">Usage</h2>
      <div className="filters">
        <RangeField value={range} onChange={setRange} />
        <Field label="API">
          {({ id }) => (
            <select id={id} value={apiId} onChange={(e) => setApiId(e.target.value)}>
              <option value="">All APIs</option>
              {apis.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} {a.version}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Key type">
          {({ id }) => (
            <select id={id} value={keyType} onChange={(e) => setKeyType(e.target.value)}>
              <option value="">Production and sandbox</option>
              <option value="PRODUCTION">Production</option>
              <option value="SANDBOX">Sandbox</option>
            </select>
          )}
        </Field>
      </div>
      <Async resource={usage} label="the usage">
        {(u) =>
          u.totals.requests === 0 ? (
            <p className="empty" data-testid="usage-empty">
              No calls in this range yet. Generate a token on the Keys tab and call a subscribed API through
              the gateway: each call shows up here within a minute.
            </p>
          ) : (
            <>
              <UsageTotalsList totals={u.totals} />
              <UsageCharts series={u.series} />
            </>
          )
        }
      </Async>
      {usage.state === 'ok' && <LastUsed app={props.app} lastUsed={usage.data.lastUsed} />}
    </section>
  );
}

function LastUsed(props: { app: Application; lastUsed: ApplicationUsage['lastUsed'] }) {
  const keys = props.app.keys ?? [];
  if (keys.length === 0) return null;
  return (
    <>
      <h3>Keys last used</h3>
      <ul className="last-used" data-testid="usage-last-used">
        {keys.map((k) => {
          const used = props.lastUsed.find((u) => u.clientId === k.consumerKey);
          return (
            <li key={k.keyType}>
              {k.keyType === 'PRODUCTION' ? 'Production' : 'Sandbox'}:{' '}
              {used ? <time dateTime={used.at}>{new Date(used.at).toLocaleString()}</time> : 'not used yet'}
            </li>
          );
        })}
      </ul>
    </>
  );
}
