/**
 * What the usage pages share (an application's usage tab, an API's usage for admins): the range
 * picker, the totals and the two charts of a usage report (libs/contracts UsageReport).
 * Charts by uPlot (canvas; it sets element sizes through the DOM, never inline style
 * attributes, so the portal's strict CSP holds).
 */
import type { UsagePoint, UsageTotals } from '@portico/contracts';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Field } from './ui.tsx';

export const RANGES = [
  { id: '1h', label: 'Last hour', granularity: 'minute', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', granularity: 'hour', ms: 86_400_000 },
  { id: '30d', label: 'Last 30 days', granularity: 'day', ms: 30 * 86_400_000 },
] as const;
export type RangeId = (typeof RANGES)[number]['id'];

/** The usage API's `granularity`, `from` and `to` for a range ending now. */
export function rangeQuery(range: RangeId): URLSearchParams {
  const chosen = RANGES.find((r) => r.id === range) ?? RANGES[1];
  return new URLSearchParams({
    granularity: chosen.granularity,
    from: new Date(Date.now() - chosen.ms).toISOString(),
    to: new Date().toISOString(),
  });
}

export function RangeField(props: { value: RangeId; onChange: (range: RangeId) => void }) {
  return (
    <Field label="Range">
      {({ id }) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value as RangeId)}>
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function UsageTotalsList(props: { totals: UsageTotals }) {
  const t = props.totals;
  return (
    <dl className="totals" data-testid="usage-totals">
      <Total label="Requests" value={t.requests} />
      <Total label="Client errors (4xx)" value={t.errors4xx} />
      <Total label="Server errors (5xx)" value={t.errors5xx} />
      <Total label="Throttled (429)" value={t.throttled} />
      <Total label="Latency p50" value={ms(t.latencyP50Ms)} />
      <Total label="Latency p95" value={ms(t.latencyP95Ms)} />
    </dl>
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

/** Requests and errors, then latency p50/p95, over the report's time steps. */
export function UsageCharts(props: { series: UsagePoint[] }) {
  return (
    <>
      <Chart title="Requests and errors" points={props.series} lines={REQUEST_LINES} />
      <Chart title="Latency (ms)" points={props.series} lines={LATENCY_LINES} />
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
