/**
 * One API: description, versions (other APIs of the same name), tiers, gateway endpoints, its
 * OpenAPI document as a readable list of operations, and a form to subscribe an application.
 */
import { useId, useState } from 'react';
import { api, enc } from '../api.ts';
import { operationsOf } from '../openapi.ts';
import { Link, usePageTitle } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { Api, Application, Items, Subscription, Tier } from '../types.ts';
import {
  Async,
  ErrorBox,
  Field,
  formatTier,
  LifecycleBadge,
  Notice,
  sortTiers,
  TierField,
  useAction,
  useResource,
} from '../ui.tsx';
import { TryIt } from './TryIt.tsx';

export function ApiDetail(props: { apiId: string }) {
  const { config, isAdmin } = useSession();
  const data = useResource(async () => {
    const [one, all, tiers] = await Promise.all([
      api.get<Api>(`/api/v1/apis/${enc(props.apiId)}`),
      api.get<Items<Api>>('/api/v1/apis'),
      api.get<Items<Tier>>('/api/v1/tiers'),
    ]);
    const definition = one.hasDefinition
      ? await api
          .get<Record<string, unknown>>(`/api/v1/apis/${enc(props.apiId)}/definition`)
          .catch(() => null)
      : null;
    return {
      one,
      versions: all.items.filter((a) => a.name === one.name),
      tiers: sortTiers(tiers.items),
      definition,
    };
  }, [props.apiId]);
  usePageTitle(data.state === 'ok' ? data.data.one.name : 'API');
  return (
    <Async resource={data} label="the API">
      {({ one, versions, tiers, definition }) => {
        const ops = definition ? operationsOf(definition) : [];
        return (
          <article className="api-detail">
            <p className="crumbs">
              <Link to="/apis">APIs</Link> / {one.name}
            </p>
            <div className="page-head">
              <h1>
                {one.name} <span className="version">v{one.version}</span>
              </h1>
              <p className="card-meta">
                <code>{one.context}</code>
                <LifecycleBadge state={one.lifecycle} />
                {isAdmin && (
                  <Link to={`/admin/apis/${one.id}`} className="btn btn-small">
                    Edit API
                  </Link>
                )}
              </p>
              <p className="lead">{one.description || 'No description.'}</p>
            </div>
            <div className="grid-2">
              <div>
                <section className="panel">
                  <h2>Endpoints</h2>
                  <dl className="facts">
                    <dt>Gateway URL</dt>
                    <dd>
                      <code>{`${config.gatewayUrl}${one.context}`}</code>
                    </dd>
                    {one.scopes.length > 0 && (
                      <>
                        <dt>Scopes</dt>
                        <dd>
                          {one.scopes.map((s) => (
                            <code key={s} className="chip">
                              {s}
                            </code>
                          ))}
                        </dd>
                      </>
                    )}
                    {isAdmin && (
                      <>
                        <dt>Production backend</dt>
                        <dd>
                          <code>{one.productionUrl}</code>
                        </dd>
                        <dt>Sandbox backend</dt>
                        <dd>{one.sandboxUrl ? <code>{one.sandboxUrl}</code> : 'none'}</dd>
                      </>
                    )}
                  </dl>
                </section>
                <section className="panel" aria-labelledby="ops-title">
                  <h2 id="ops-title">Operations</h2>
                  {definition === null ? (
                    <p className="muted">This API has no OpenAPI document yet.</p>
                  ) : ops.length === 0 ? (
                    <p className="muted">The OpenAPI document lists no operations.</p>
                  ) : (
                    <ul className="ops">
                      {ops.map((op) => (
                        <li key={`${op.method} ${op.path}`} className="op">
                          <span className={`method method-${op.method}`}>{op.method.toUpperCase()}</span>
                          <code className="op-path">{op.path}</code>
                          {op.summary && <span className="op-summary">{op.summary}</span>}
                          {op.parameters.length > 0 && (
                            <span className="op-params">
                              Parameters:{' '}
                              {op.parameters.map((p) => (
                                <code key={`${p.in}:${p.name}`} className="chip">
                                  {p.name}
                                  <span className="muted">
                                    {' '}
                                    ({p.in}
                                    {p.required ? ', required' : ''})
                                  </span>
                                </code>
                              ))}
                            </span>
                          )}
                        </li>
                      ))}
                    </ul>
                  )}
                  {definition !== null && (
                    <p>
                      <a
                        href={`/api/v1/apis/${enc(one.id)}/definition`}
                        download={`${one.name}-${one.version}.json`}
                      >
                        Download the OpenAPI document
                      </a>
                    </p>
                  )}
                </section>
              </div>
              <div>
                <div id="subscribe">
                  <SubscribeForm apiItem={one} tiers={tiers} />
                </div>
                <section className="panel">
                  <h2>Tiers</h2>
                  <ul className="plain">
                    {tiers.map((t) => (
                      <li key={t.name}>
                        <strong>{t.name}</strong>: {formatTier(t)}
                      </li>
                    ))}
                  </ul>
                </section>
                <section className="panel">
                  <h2>Versions</h2>
                  <ul className="plain">
                    {versions.map((v) => (
                      <li key={v.id}>
                        {v.id === one.id ? (
                          <strong aria-current="page">v{v.version} (this version)</strong>
                        ) : (
                          <Link to={`/apis/${v.id}`}>v{v.version}</Link>
                        )}{' '}
                        <LifecycleBadge state={v.lifecycle} />
                      </li>
                    ))}
                  </ul>
                </section>
              </div>
            </div>
            <TryIt apiItem={one} ops={ops} hasDefinition={definition !== null} />
          </article>
        );
      }}
    </Async>
  );
}

function SubscribeForm(props: { apiItem: Api; tiers: Tier[] }) {
  const apps = useResource(async () => {
    const [a, s] = await Promise.all([
      api.get<Items<Application>>('/api/v1/applications'),
      api.get<Items<Subscription>>('/api/v1/subscriptions'),
    ]);
    return {
      apps: a.items,
      subscribed: new Set(s.items.filter((x) => x.apiId === props.apiItem.id).map((x) => x.applicationId)),
    };
  }, [props.apiItem.id]);
  const [appId, setAppId] = useState('');
  const [tier, setTier] = useState('');
  const [done, setDone] = useState<{ id: string; name: string } | undefined>();
  const action = useAction();
  const headingId = useId();
  if (props.apiItem.lifecycle !== 'PUBLISHED') {
    return (
      <section className="panel" aria-labelledby={headingId}>
        <h2 id={headingId}>Subscribe</h2>
        <p className="muted">Only published APIs take new subscriptions.</p>
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Subscribe</h2>
      <Async resource={apps} label="your applications">
        {({ apps: list, subscribed }) => {
          const open = list.filter((a) => !subscribed.has(a.id));
          if (list.length === 0)
            return (
              <p>
                You have no application yet. <Link to="/applications">Create one</Link> first.
              </p>
            );
          if (open.length === 0)
            return <p className="muted">All your applications are subscribed to this API.</p>;
          const chosenApp = appId || open[0]!.id;
          const chosenTier = tier || props.tiers[0]?.name || '';
          const submit = async (e: React.FormEvent) => {
            e.preventDefault();
            const sub = await action.run(() =>
              api.post<Subscription>('/api/v1/subscriptions', {
                applicationId: chosenApp,
                apiId: props.apiItem.id,
                tier: chosenTier,
              }),
            );
            if (sub) {
              setDone({
                id: chosenApp,
                name: list.find((a) => a.id === chosenApp)?.name ?? 'the application',
              });
              setAppId('');
              apps.reload();
            }
          };
          return (
            <form onSubmit={submit}>
              <Field label="Application">
                {({ id }) => (
                  <select id={id} value={chosenApp} onChange={(e) => setAppId(e.target.value)}>
                    {open.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <TierField tiers={props.tiers} value={chosenTier} onChange={setTier} />
              <ErrorBox error={action.error} />
              <button type="submit" className="btn btn-primary" disabled={action.busy}>
                {action.busy ? 'Subscribing…' : 'Subscribe'}
              </button>
            </form>
          );
        }}
      </Async>
      {done && (
        <Notice>
          Subscribed {done.name}. Next: get its keys on{' '}
          <Link to={`/applications/${done.id}/keys`}>the Keys tab of {done.name}</Link>.
        </Notice>
      )}
    </section>
  );
}
