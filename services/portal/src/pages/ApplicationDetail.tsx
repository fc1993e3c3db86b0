/**
 * One application: overview (edit, delete), its subscriptions, and its keys (Production and
 * Sandbox tabs). A developer asking for someone else's application gets the API's 404.
 */
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { ApplicationFields, useApplicationFields, withNameConflict } from '../application-fields.tsx';
import { Link, navigate, usePageTitle } from '../router.tsx';
import { Table } from '../table.tsx';
import type { Api, Application, Items, Subscription, Tier } from '../types.ts';
import {
  Async,
  ErrorBox,
  Field,
  Notice,
  sortTiers,
  TierField,
  tierOptionLabel,
  useAction,
  useConfirm,
  useResource,
} from '../ui.tsx';
import { KeysSection } from './Keys.tsx';
import { UsageSection } from './Usage.tsx';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'subscriptions', label: 'Subscriptions' },
  { id: 'keys', label: 'Keys' },
  { id: 'usage', label: 'Usage' },
];

export function ApplicationDetail(props: { applicationId: string; tab: string }) {
  const app = useResource(
    () => api.get<Application>(`/api/v1/applications/${enc(props.applicationId)}`),
    [props.applicationId],
  );
  usePageTitle(app.state === 'ok' ? app.data.name : 'Application');
  const base = `/applications/${props.applicationId}`;
  return (
    <section>
      <p className="crumbs">
        <Link to="/applications">Applications</Link>
        {app.state === 'ok' && <> / {app.data.name}</>}
      </p>
      {app.state === 'error' && app.error.status === 404 ? (
        <ApplicationNotFound />
      ) : (
        <>
          {app.state === 'error' && <h1>Application</h1>}
          <Async resource={app} label="the application">
            {(a) => (
              <>
                <div className="page-head">
                  <h1>{a.name}</h1>
                  {a.description && <p className="lead">{a.description}</p>}
                </div>
                <nav aria-label="Application sections">
                  <ul className="tabs-nav">
                    {TABS.map((t) => (
                      <li key={t.id}>
                        <Link
                          to={t.id === 'overview' ? base : `${base}/${t.id}`}
                          aria-current={props.tab === t.id ? 'page' : undefined}
                        >
                          {t.label}
                        </Link>
                      </li>
                    ))}
                  </ul>
                </nav>
                {props.tab === 'overview' && <Overview app={a} onChange={app.reload} />}
                {props.tab === 'subscriptions' && <Subscriptions app={a} />}
                {props.tab === 'keys' && <KeysSection app={a} onChange={app.reload} />}
                {props.tab === 'usage' && <UsageSection app={a} />}
                {!TABS.some((t) => t.id === props.tab) && <p>Unknown section.</p>}
              </>
            )}
          </Async>
        </>
      )}
    </section>
  );
}

/** The store's 404 ("No such resource") means: no application with this id that is yours. */
function ApplicationNotFound() {
  return (
    <>
      <h1>Application not found</h1>
      <div className="alert alert-error" role="alert">
        <p>This application was not found: it does not exist, or it is not yours.</p>
        <p>
          <Link to="/applications">Back to Applications</Link>
        </p>
      </div>
    </>
  );
}

function Overview(props: { app: Application; onChange: () => void }) {
  const fields = useApplicationFields(props.app.name, props.app.description);
  const { name, description, setNameError } = fields;
  const [saved, setSaved] = useState(false);
  const save = useAction();
  const remove = useAction();
  const confirm = useConfirm();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setSaved(false);
    if (!name.trim()) return setNameError('The name cannot be empty.');
    setNameError(undefined);
    const ok = await save.run(() =>
      withNameConflict(fields, () =>
        api.patch<Application>(`/api/v1/applications/${enc(props.app.id)}`, {
          name: name.trim(),
          description: description.trim(),
        }),
      ),
    );
    if (ok) {
      setSaved(true);
      props.onChange();
    }
  };
  const del = async () => {
    const yes = await confirm.ask(
      `Delete ${props.app.name}?`,
      'Its subscriptions end and its keys are revoked at once: apps using them stop working. This cannot be undone.',
      'Delete application',
    );
    if (!yes) return;
    const done = await remove.run(() =>
      api.del(`/api/v1/applications/${enc(props.app.id)}`).then(() => true),
    );
    if (done) navigate('/applications');
  };
  return (
    <div className="grid-2">
      <section className="panel">
        <h2>Details</h2>
        <form onSubmit={submit} noValidate>
          <ApplicationFields {...fields.props} descriptionLabel="Description" />
          <ErrorBox error={save.error} />
          {saved && <Notice>Saved.</Notice>}
          <button type="submit" className="btn btn-primary" disabled={save.busy}>
            {save.busy ? 'Saving…' : 'Save changes'}
          </button>
        </form>
        <dl className="facts">
          <dt>Owner</dt>
          <dd>{props.app.owner}</dd>
          <dt>Created</dt>
          <dd>{new Date(props.app.createdAt).toLocaleString('en')}</dd>
        </dl>
      </section>
      <div>
        {props.app.keys.length === 0 && (
          <section className="panel">
            <h2>Next steps</h2>
            <ol className="next-steps">
              <li>
                <Link to={`/applications/${props.app.id}/subscriptions`}>Subscribe</Link> this application to
                the APIs it calls, with a tier.
              </li>
              <li>
                <Link to={`/applications/${props.app.id}/keys`}>Generate keys</Link> (Production or Sandbox)
                and an access token, then copy the ready-made curl command.
              </li>
            </ol>
          </section>
        )}
        <section className="panel panel-danger">
          <h2>Delete this application</h2>
          <p>Deleting revokes its keys and tokens and removes its subscriptions.</p>
          <ErrorBox error={remove.error} onRetry={del} />
          <button type="button" className="btn btn-danger" onClick={del} disabled={remove.busy}>
            {remove.busy ? 'Deleting…' : 'Delete application'}
          </button>
        </section>
      </div>
      {confirm.dialog}
    </div>
  );
}

function Subscriptions(props: { app: Application }) {
  const data = useResource(async () => {
    const [subs, apis, tiers] = await Promise.all([
      api.get<Items<Subscription>>(`/api/v1/subscriptions?applicationId=${enc(props.app.id)}`),
      api.get<Items<Api>>('/api/v1/apis'),
      api.get<Items<Tier>>('/api/v1/tiers'),
    ]);
    return { subs: subs.items, apis: apis.items, tiers: sortTiers(tiers.items) };
  }, [props.app.id]);
  const remove = useAction();
  const confirm = useConfirm();
  const [changed, setChanged] = useState('');
  return (
    <Async resource={data} label="subscriptions">
      {({ subs, apis, tiers }) => {
        const byId = new Map(apis.map((a) => [a.id, a]));
        const unsubscribe = async (s: Subscription) => {
          const name = byId.get(s.apiId)?.name ?? 'this API';
          const yes = await confirm.ask(
            `Unsubscribe from ${name}?`,
            'The gateway refuses this application’s calls to the API at once.',
            'Unsubscribe',
          );
          if (!yes) return;
          const ok = await remove.run(() => api.del(`/api/v1/subscriptions/${enc(s.id)}`).then(() => true));
          if (ok) data.reload();
        };
        return (
          <div className="grid-2 grid-wide-left">
            <section className="panel">
              <h2>Subscriptions</h2>
              <ErrorBox error={remove.error} />
              {changed && <Notice>{changed}</Notice>}
              {subs.length === 0 ? (
                <p className="muted">No subscriptions yet: subscribe this application to an API.</p>
              ) : (
                <Table
                  rows={subs}
                  rowKey={(s) => s.id}
                  columns={[
                    {
                      header: 'API',
                      cell: (s) => {
                        const a = byId.get(s.apiId);
                        return a ? (
                          <Link to={`/apis/${a.id}`}>
                            {a.name} v{a.version}
                          </Link>
                        ) : (
                          <span className="muted">API no longer available</span>
                        );
                      },
                    },
                    {
                      header: 'Tier',
                      cell: (s) => (
                        <TierChanger
                          subscription={s}
                          apiName={byId.get(s.apiId)?.name ?? 'API'}
                          tiers={tiers}
                          onChanged={(tier) => {
                            setChanged(
                              `${byId.get(s.apiId)?.name ?? 'The API'} is now on the ${tier} tier: every gateway applies its limit within seconds.`,
                            );
                            data.reload();
                          }}
                        />
                      ),
                    },
                    {
                      header: 'Status',
                      cell: (s) => (
                        <span className={`badge badge-${s.status.toLowerCase()}`}>{s.status}</span>
                      ),
                    },
                    {
                      header: 'Actions',
                      hiddenHeader: true,
                      className: 'right',
                      cell: (s) => (
                        <button
                          type="button"
                          className="btn btn-small btn-danger-outline"
                          onClick={() => unsubscribe(s)}
                          aria-label={`Unsubscribe from ${byId.get(s.apiId)?.name ?? 'API'}`}
                        >
                          Unsubscribe
                        </button>
                      ),
                    },
                  ]}
                />
              )}
              {subs.length > 0 && props.app.keys.length === 0 && (
                <p className="hint">
                  Next: generate keys on the <Link to={`/applications/${props.app.id}/keys`}>Keys</Link> tab.
                </p>
              )}
            </section>
            <SubscribeHere app={props.app} apis={apis} subs={subs} tiers={tiers} onDone={data.reload} />
            {confirm.dialog}
          </div>
        );
      }}
    </Async>
  );
}

/**
 * A subscription's tier, changeable in place: the select picks, the button applies (so moving
 * through the options with the keyboard never changes a live limit by accident).
 */
function TierChanger(props: {
  subscription: Subscription;
  apiName: string;
  tiers: Tier[];
  onChanged(tier: string): void;
}) {
  const [tier, setTier] = useState(props.subscription.tier);
  const action = useAction();
  const known = props.tiers.some((t) => t.name === props.subscription.tier);
  const apply = async () => {
    const ok = await action.run(() =>
      api.patch<Subscription>(`/api/v1/subscriptions/${enc(props.subscription.id)}`, { tier }),
    );
    if (ok) props.onChanged(ok.tier);
  };
  return (
    <div className="tier-changer">
      <select
        aria-label={`Tier for ${props.apiName}`}
        value={tier}
        onChange={(e) => setTier(e.target.value)}
        disabled={action.busy}
      >
        {!known && <option value={props.subscription.tier}>{props.subscription.tier}</option>}
        {props.tiers.map((t) => (
          <option key={t.name} value={t.name}>
            {tierOptionLabel(t)}
          </option>
        ))}
      </select>
      {tier !== props.subscription.tier && (
        <button type="button" className="btn btn-small" onClick={apply} disabled={action.busy}>
          {action.busy ? 'Changing…' : 'Change tier'}
        </button>
      )}
      <ErrorBox error={action.error} />
    </div>
  );
}

function SubscribeHere(props: {
  app: Application;
  apis: Api[];
  subs: Subscription[];
  tiers: Tier[];
  onDone: () => void;
}) {
  const taken = new Set(props.subs.map((s) => s.apiId));
  const open = props.apis.filter((a) => a.lifecycle === 'PUBLISHED' && !taken.has(a.id));
  const [apiId, setApiId] = useState('');
  const [tier, setTier] = useState('');
  const action = useAction();
  const chosenApi = apiId && open.some((a) => a.id === apiId) ? apiId : (open[0]?.id ?? '');
  const chosenTier = tier || props.tiers[0]?.name || '';
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const ok = await action.run(() =>
      api.post<Subscription>('/api/v1/subscriptions', {
        applicationId: props.app.id,
        apiId: chosenApi,
        tier: chosenTier,
      }),
    );
    if (ok) {
      setApiId('');
      props.onDone();
    }
  };
  return (
    <section className="panel">
      <h2>Subscribe to an API</h2>
      {open.length === 0 ? (
        <p className="muted">This application is subscribed to every published API.</p>
      ) : (
        <form onSubmit={submit}>
          <Field label="API">
            {({ id }) => (
              <select id={id} value={chosenApi} onChange={(e) => setApiId(e.target.value)}>
                {open.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} v{a.version}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <TierField tiers={props.tiers} value={chosenTier} onChange={setTier} />
          <ErrorBox error={action.error} />
          <button type="submit" className="btn btn-primary" disabled={action.busy || !chosenApi}>
            {action.busy ? 'Subscribing…' : 'Subscribe'}
          </button>
        </form>
      )}
    </section>
  );
}
