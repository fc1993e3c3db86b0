/**
 * An application's usage (GET /api/v1/applications/{id}/usage): requests and errors over time,
 * throttled requests, latency p50/p95, per API and key type, and each key's "last used".
 * Charts by uPlot (canvas; it sets element sizes through the DOM, never inline style
 * attributes, so the portal's strict CSP holds).
 */
import type { ApplicationUsage, UsagePoint } from '@portico/contracts';
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, enc } from '../api.ts';
import { useSubscribedApis } from '../subscribed-apis.ts';
import type { Application } from '../types.ts';
import { Async, Field, useResource } from '../ui.tsx';

const RANGES = [
  { id: '1h', label: 'Last hour', granularity: 'minute', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', granularity: 'hour', ms: 86_400_000 },
  { id: '30d', label: 'Last 30 days', granularity: 'day', ms: 30 * 86_400_000 },
] as const;

export function UsageSection(props: { app: Application }) {
  const subscribed = useSubscribedApis(props.app.id);
  const apis = subscribed.state === 'ok' ? subscribed.data : [];
  const [range, setRange] = useState<(typeof RANGES)[number]['id']>('24h');
  const [apiId, setApiId] = useState('');
  const [keyType, setKeyType] = useState('');
  const chosen = RANGES.find((r) => r.id === range) ?? RANGES[1];
  const usage = useResource(() => {
    const q = new URLSearchParams({
      granularity: chosen.granularity,
      from: new Date(Date.now() - chosen.ms).toISOString(),
      to: new Date().toISOString(),
    });
    if (apiId) q.set('apiId', apiId);
    if (keyType) q.set('keyType', keyType);
    return api.get<ApplicationUsage>(`/api/v1/applications/${enc(props.app.id)}/usage?${q}`);
  }, [props.app.id, range, apiId, keyType]);

  return (
    <section aria-labelledby="usage-heading">
      <h2 id="usage-heading">Usage</h2>
      <div className="filters">
        <Field label="Range">
          {({ id }) => (
            <select id={id} value={range} onChange={(e) => setRange(e.target.value as typeof range)}>
              {RANGES.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          )}
        </Field>
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
              <dl className="totals" data-testid="usage-totals">
                <Total label="Requests" value={u.totals.requests} />
                <Total label="Client errors (4xx)" value={u.totals.errors4xx} />
                <Total label="Server errors (5xx)" value={u.totals.errors5xx} />
                <Total label="Throttled (429)" value={u.totals.throttled} />
                <Total label="Latency p50" value={ms(u.totals.latencyP50Ms)} />
                <Total label="Latency p95" value={ms(u.totals.latencyP95Ms)} />
              </dl>
              <Chart title="Requests and errors" points={u.series} lines={REQUEST_LINES} />
              <Chart title="Latency (ms)" points={u.series} lines={LATENCY_LINES} />
            </>
          )
        }
      </Async>
      {usage.state === 'ok' && <LastUsed app={props.app} lastUsed={usage.data.lastUsed} />}
    </section>
  );
}

function Total(props: { label: string; value: number | string }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}

const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);

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

interface Line {
  label: string;
  value: (p: UsagePoint) => number | null;
  stroke: string;
}

// Module constants: a chart is redrawn when its data changes, not on every render.
const REQUEST_LINES: Line[] = [
  { label: 'Requests', value: (p) => p.requests, stroke: '#2f6fde' },
  { label: '4xx', value: (p) => p.errors4xx, stroke: '#d98a00' },
  { label: '5xx', value: (p) => p.errors5xx, stroke: '#c62828' },
  { label: 'Throttled', value: (p) => p.throttled, stroke: '#7b3fb5' },
];
const LATENCY_LINES: Line[] = [
  { label: 'p50', value: (p) => p.latencyP50Ms, stroke: '#2e7d32' },
  { label: 'p95', value: (p) => p.latencyP95Ms, stroke: '#ad1457' },
];

/** One uPlot chart, redrawn when the data changes and resized with its container. */
function Chart(props: { title: string; points: UsagePoint[]; lines: Line[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data: uPlot.AlignedData = [
      props.points.map((p) => Date.parse(p.time) / 1000),
      ...props.lines.map((l) => props.points.map((p) => l.value(p))),
    ];
    const width = () => Math.max(280, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        series: [{}, ...props.lines.map((l) => ({ label: l.label, stroke: l.stroke, width: 2 }))],
        axes: [{}, { size: 50 }],
      },
      data,
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [props.points, props.lines]);
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title} over time`} />
    </figure>
  );
}
