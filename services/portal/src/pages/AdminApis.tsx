/** Admin: every API in every lifecycle state; create, edit, change lifecycle, delete. */
import { LIFECYCLE_TRANSITIONS } from '@portico/contracts';
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { Link, navigate, usePageTitle } from '../router.tsx';
import { Table } from '../table.tsx';
import type { Api, Items, Lifecycle } from '../types.ts';
import {
  Async,
  ErrorBox,
  Field,
  LifecycleBadge,
  Notice,
  useAction,
  useConfirm,
  useResource,
} from '../ui.tsx';

const VERB: Record<Lifecycle, string> = {
  CREATED: 'Back to created',
  PUBLISHED: 'Publish',
  DEPRECATED: 'Deprecate',
  BLOCKED: 'Block',
  RETIRED: 'Retire',
};

export function AdminApis() {
  usePageTitle('Manage APIs');
  const apis = useResource(() => api.get<Items<Api>>('/api/v1/apis'), []);
  return (
    <section>
      <div className="page-head page-head-row">
        <div>
          <h1>Manage APIs</h1>
          <p className="muted">Every API in every lifecycle state. Developers see published public APIs.</p>
        </div>
        <Link to="/admin/apis/new" className="btn btn-primary">
          New API
        </Link>
      </div>
      <Async resource={apis} label="APIs">
        {({ items }) =>
          items.length === 0 ? (
            <div className="empty">
              <p>No APIs yet.</p>
            </div>
          ) : (
            <Table
              rows={items}
              rowKey={(a) => a.id}
              columns={[
                { header: 'Name', cell: (a) => <Link to={`/admin/apis/${a.id}`}>{a.name}</Link> },
                { header: 'Version', cell: (a) => a.version },
                { header: 'Context', cell: (a) => <code>{a.context}</code> },
                { header: 'Visibility', cell: (a) => (a.visibility === 'PUBLIC' ? 'Public' : 'Restricted') },
                { header: 'Lifecycle', cell: (a) => <LifecycleBadge state={a.lifecycle} /> },
                {
                  header: 'Usage',
                  hiddenHeader: true,
                  // Named by the context: unique, and the Name cell stays the only one named by the name.
                  cell: (a) => (
                    <Link to={`/admin/usage/${a.id}`} aria-label={`Usage of ${a.context}`}>
                      Usage
                    </Link>
                  ),
                },
              ]}
            />
          )
        }
      </Async>
    </section>
  );
}

interface FormValues {
  name: string;
  version: string;
  context: string;
  description: string;
  productionUrl: string;
  sandboxUrl: string;
  visibility: 'PUBLIC' | 'RESTRICTED';
  scopes: string;
  definition: string;
}

type FormErrors = Partial<Record<keyof FormValues, string>>;

const URL_RE = /^https?:\/\/[^\s/?#]+[^\s]*$/i;

export function validateApi(v: FormValues, creating: boolean): { errors: FormErrors; definition?: unknown } {
  const errors: FormErrors = {};
  if (!v.name.trim()) errors.name = 'Enter a name.';
  if (creating) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(v.version)) errors.version = 'A version such as 1.0.0.';
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(v.context)) errors.context = 'A path such as /twitter/1.0.0.';
  }
  if (!URL_RE.test(v.productionUrl.trim()))
    errors.productionUrl = 'An http(s) URL, e.g. https://backend.internal/v1.';
  if (v.sandboxUrl.trim() && !URL_RE.test(v.sandboxUrl.trim()))
    errors.sandboxUrl = 'An http(s) URL, or leave it empty.';
  if (v.scopes.split(/\s+/).some((s) => s && !/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(s)))
    errors.scopes = 'Scopes are separated by spaces and contain no quotes or backslashes.';
  let definition: unknown;
  if (v.definition.trim()) {
    try {
      definition = JSON.parse(v.definition);
      if (typeof definition !== 'object' || definition === null || Array.isArray(definition))
        errors.definition = 'The OpenAPI document must be a JSON object.';
    } catch (e) {
      errors.definition = `Not valid JSON: ${(e as Error).message}`;
    }
  }
  return { errors, definition };
}

function ApiForm(props: {
  initial: FormValues;
  creating: boolean;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
}) {
  const [v, setV] = useState(props.initial);
  const [errors, setErrors] = useState<FormErrors>({});
  const action = useAction();
  const set = (k: keyof FormValues) => (e: { target: { value: string } }) => {
    setV({ ...v, [k]: e.target.value });
    if (errors[k]) setErrors({ ...errors, [k]: undefined });
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const { errors: errs, definition } = validateApi(v, props.creating);
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    const body: Record<string, unknown> = {
      name: v.name.trim(),
      description: v.description,
      productionUrl: v.productionUrl.trim(),
      sandboxUrl: v.sandboxUrl.trim() || null,
      visibility: v.visibility,
      scopes: v.scopes.split(/\s+/).filter(Boolean),
      ...(definition ? { definition } : {}),
      ...(props.creating ? { version: v.version, context: v.context } : {}),
    };
    await action.run(() => props.onSubmit(body));
  };
  const text = (k: keyof FormValues, label: string, hint?: string, disabled = false) => (
    <Field label={label} hint={hint} error={errors[k]}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          value={v[k]}
          onChange={set(k)}
          disabled={disabled}
          aria-invalid={invalid}
          aria-describedby={describedBy}
        />
      )}
    </Field>
  );
  return (
    <form onSubmit={submit} noValidate className="panel">
      {text('name', 'Name')}
      <div className="grid-2 tight">
        {text('version', 'Version', props.creating ? 'e.g. 1.0.0' : 'Fixed once created', !props.creating)}
        {text(
          'context',
          'Context',
          props.creating ? 'The gateway path, e.g. /twitter/1.0.0' : 'Fixed once created',
          !props.creating,
        )}
      </div>
      <Field label="Description">
        {({ id }) => (
          <textarea id={id} rows={3} maxLength={4000} value={v.description} onChange={set('description')} />
        )}
      </Field>
      <div className="grid-2 tight">
        {text('productionUrl', 'Production endpoint URL')}
        {text('sandboxUrl', 'Sandbox endpoint URL (optional)')}
      </div>
      <div className="grid-2 tight">
        <Field label="Visibility">
          {({ id }) => (
            <select id={id} value={v.visibility} onChange={set('visibility')}>
              <option value="PUBLIC">Public: every developer</option>
              <option value="RESTRICTED">Restricted: administrators only</option>
            </select>
          )}
        </Field>
        {text('scopes', 'Scopes (optional)', 'Separated by spaces')}
      </div>
      <Field label="OpenAPI document (JSON, optional)" error={errors.definition}>
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            rows={8}
            className="mono"
            spellCheck={false}
            value={v.definition}
            onChange={set('definition')}
            aria-invalid={invalid}
            aria-describedby={describedBy}
          />
        )}
      </Field>
      <ErrorBox error={action.error} />
      <button type="submit" className="btn btn-primary" disabled={action.busy}>
        {action.busy ? 'Saving…' : props.submitLabel}
      </button>
    </form>
  );
}

const EMPTY: FormValues = {
  name: '',
  version: '1.0.0',
  context: '',
  description: '',
  productionUrl: '',
  sandboxUrl: '',
  visibility: 'PUBLIC',
  scopes: '',
  definition: '',
};

export function AdminApiNew() {
  usePageTitle('New API');
  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/admin/apis">Manage APIs</Link> / New API
      </p>
      <h1>New API</h1>
      <p className="muted">A new API starts in the CREATED state; publish it when it is ready.</p>
      <ApiForm
        initial={EMPTY}
        creating
        submitLabel="Create API"
        onSubmit={async (body) => {
          const created = await api.post<Api>('/api/v1/apis', body);
          navigate(`/admin/apis/${created.id}`);
        }}
      />
    </section>
  );
}

export function AdminApiEdit(props: { apiId: string }) {
  const data = useResource(async () => {
    const one = await api.get<Api>(`/api/v1/apis/${enc(props.apiId)}`);
    const definition = one.hasDefinition
      ? await api.get<unknown>(`/api/v1/apis/${enc(props.apiId)}/definition`).catch(() => null)
      : null;
    return { one, definition };
  }, [props.apiId]);
  usePageTitle(data.state === 'ok' ? `Edit ${data.data.one.name}` : 'Edit API');
  const [saved, setSaved] = useState(false);
  return (
    <section className="narrow">
      <p className="crumbs">
        <Link to="/admin/apis">Manage APIs</Link>
        {data.state === 'ok' && <> / {data.data.one.name}</>}
      </p>
      <Async resource={data} label="the API">
        {({ one, definition }) => (
          <>
            <div className="page-head page-head-row">
              <h1>
                {one.name} <span className="version">v{one.version}</span>
              </h1>
              <Link to={`/apis/${one.id}`} className="btn btn-small">
                View in catalog
              </Link>
            </div>
            <LifecyclePanel apiItem={one} onChange={data.reload} />
            <h2>Details</h2>
            {saved && <Notice>Saved.</Notice>}
            <ApiForm
              key={one.updatedAt}
              initial={{
                name: one.name,
                version: one.version,
                context: one.context,
                description: one.description,
                productionUrl: one.productionUrl,
                sandboxUrl: one.sandboxUrl ?? '',
                visibility: one.visibility,
                scopes: one.scopes.join(' '),
                definition: definition ? JSON.stringify(definition, null, 2) : '',
              }}
              creating={false}
              submitLabel="Save changes"
              onSubmit={async (body) => {
                setSaved(false);
                await api.patch<Api>(`/api/v1/apis/${enc(one.id)}`, body);
                setSaved(true);
                data.reload();
              }}
            />
            <DeleteApi apiItem={one} />
          </>
        )}
      </Async>
    </section>
  );
}

/** What Block and Retire do to callers: they ask first (the other moves are easily undone). */
const CONSEQUENCE: Partial<Record<Lifecycle, string>> = {
  BLOCKED:
    'The gateway refuses every call to this API at once, for every subscribed application, until it is unblocked.',
  RETIRED:
    'The gateway answers every call with 410 Gone and the API leaves the catalog. Retiring is final: it cannot be undone.',
};

function LifecyclePanel(props: { apiItem: Api; onChange: () => void }) {
  const action = useAction();
  const confirm = useConfirm();
  const next = LIFECYCLE_TRANSITIONS[props.apiItem.lifecycle];
  const change = async (state: Lifecycle) => {
    const consequence = CONSEQUENCE[state];
    const label = `${props.apiItem.name} v${props.apiItem.version}`;
    if (consequence && !(await confirm.ask(`${VERB[state]} ${label}?`, consequence, `${VERB[state]} API`)))
      return;
    const ok = await action.run(() =>
      api.post<Api>(`/api/v1/apis/${enc(props.apiItem.id)}/lifecycle`, { state }),
    );
    if (ok) props.onChange();
  };
  return (
    <section className="panel" aria-labelledby="lifecycle-title">
      <h2 id="lifecycle-title">Lifecycle</h2>
      <p>
        Current state: <LifecycleBadge state={props.apiItem.lifecycle} />
      </p>
      <ErrorBox error={action.error} />
      {next.length === 0 ? (
        <p className="muted">A retired API cannot change any more.</p>
      ) : (
        <div className="actions">
          {next.map((s) => (
            <button
              key={s}
              type="button"
              className={s === 'PUBLISHED' ? 'btn btn-primary' : 'btn'}
              onClick={() => change(s)}
              disabled={action.busy}
            >
              {VERB[s]}
            </button>
          ))}
        </div>
      )}
      {confirm.dialog}
    </section>
  );
}

function DeleteApi(props: { apiItem: Api }) {
  const action = useAction();
  const confirm = useConfirm();
  const del = async () => {
    const yes = await confirm.ask(
      `Delete ${props.apiItem.name} v${props.apiItem.version}?`,
      'Only an API without subscriptions can be deleted. This cannot be undone.',
      'Delete API',
    );
    if (!yes) return;
    const ok = await action.run(() => api.del(`/api/v1/apis/${enc(props.apiItem.id)}`).then(() => true));
    if (ok) navigate('/admin/apis');
  };
  return (
    <section className="panel panel-danger">
      <h2>Delete this API</h2>
      <ErrorBox error={action.error} />
      <button type="button" className="btn btn-danger" onClick={del} disabled={action.busy}>
        Delete API
      </button>
      {confirm.dialog}
    </section>
  );
}
