/**
 * Admin: one API's usage across applications (GET /api/v1/apis/{id}/usage): totals, the
 * requests/errors and latency charts, and the applications calling it most. The API is in the
 * path (/admin/usage/:apiId), so a view can be shared and linked from Manage APIs.
 */
import type { ApiUsage } from '@portico/contracts';
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { Link, navigate, usePageTitle } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Table } from '../table.tsx';
import type { Api, Items } from '../types.ts';
import { Async, Field, useResource } from '../ui.tsx';
import type { RangeId } from '../usage-charts.tsx';
import { RangeField, rangeQuery, UsageCharts, UsageTotalsList } from '../usage-charts.tsx';

export function AdminUsage(props: { apiId?: string }) {
  usePageTitle('API usage');
  const apis = useResource(() => api.get<Items<Api>>('/api/v1/apis'), []);
  const [range, setRange] = useState<RangeId>('24h');
  return (
    <section>
      <div className="page-head">
        <h1>API usage</h1>
        <p className="muted">
          Requests, errors and latency of one API across every application, and the applications calling it
          most, as counted by the gateways.
        </p>
      </div>
      <Async resource={apis} label="APIs">
        {({ items }) => {
          if (items.length === 0) {
            return (
              <div className="empty">
                <p>
                  No APIs yet. Create one under <Link to="/admin/apis">Manage APIs</Link>.
                </p>
              </div>
            );
          }
          // No API in the path: the first one, so the page always shows something.
          const chosen = items.find((a) => a.id === props.apiId) ?? (props.apiId ? undefined : items[0]);
          return (
            <>
              <div className="filters">
                <Field label="API">
                  {({ id }) => (
                    <select
                      id={id}
                      value={chosen?.id ?? ''}
                      onChange={(e) => navigate(`/admin/usage/${enc(e.target.value)}`, { replace: true })}
                    >
                      {!chosen && <option value="">Choose an API</option>}
                      {items.map((a) => (
                        <option key={a.id} value={a.id}>
                          {a.name} {a.version}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <RangeField value={range} onChange={setRange} />
              </div>
              {chosen ? (
                <Report api={chosen} range={range} />
              ) : (
                <p className="empty">No such API. Choose one above.</p>
              )}
            </>
          );
        }}
      </Async>
    </section>
  );
}

function Report(props: { api: Api; range: RangeId }) {
  const { config } = useSession();
  const usage = useResource(
    () => api.get<ApiUsage>(`/api/v1/apis/${enc(props.api.id)}/usage?${rangeQuery(props.range)}`),
    [props.api.id, props.range],
  );
  return (
    <Async resource={usage} label="the usage">
      {(u) =>
        u.totals.requests === 0 ? (
          <p className="empty" data-testid="api-usage-empty">
            No calls to {props.api.name} {props.api.version} in this range yet. Subscribe an application to
            it, generate a token on the application's Keys tab and call{' '}
            <code>{`${config.gatewayUrl}${props.api.context}`}</code> with it: each call shows up here within
            a minute.
          </p>
        ) : (
          <>
            <UsageTotalsList totals={u.totals} />
            <UsageCharts series={u.series} />
            <TopApplications usage={u} />
          </>
        )
      }
    </Async>
  );
}

type Top = ApiUsage['topApplications'][number];

function TopApplications(props: { usage: ApiUsage }) {
  const total = props.usage.totals.requests;
  const top = props.usage.topApplications;
  return (
    <section aria-labelledby="top-apps-heading" data-testid="top-applications">
      <h2 id="top-apps-heading">Top applications</h2>
      {top.length === 0 ? (
        <p className="muted">No call in this range came with a token of a known application.</p>
      ) : (
        <>
          <Table<Top>
            rows={top}
            rowKey={(t) => t.applicationId}
            caption="Applications by requests to this API, busiest first"
            columns={[
              {
                header: 'Application',
                className: 'top-app',
                cell: (t) => (
                  <>
                    {t.name === null ? (
                      <span className="muted">Deleted application</span>
                    ) : (
                      <Link to={`/applications/${enc(t.applicationId)}/usage`}>{t.name}</Link>
                    )}{' '}
                    <code className="muted small">{t.applicationId}</code>
                  </>
                ),
              },
              // On narrow screens the table is a list without its header row: the cells say what they are.
              {
                header: 'Requests',
                className: 'right',
                cell: (t) => (
                  <>
                    <span className="narrow-only">Requests: </span>
                    {t.requests}
                  </>
                ),
              },
              {
                header: 'Share',
                className: 'right',
                cell: (t) => (
                  <>
                    <span className="narrow-only">Share of all requests: </span>
                    {share(t.requests, total)}
                  </>
                ),
              },
            ]}
          />
          <p className="muted small">
            The ten busiest applications. Calls without a valid token of a known application (401, unknown
            client) count in the totals only.
          </p>
        </>
      )}
    </section>
  );
}

const share = (part: number, whole: number) => (whole === 0 ? '–' : `${Math.round((part / whole) * 100)} %`);
