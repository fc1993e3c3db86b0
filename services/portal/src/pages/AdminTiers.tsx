/**
 * Admin: subscription tiers (built-in and custom): create (a taken name is refused on the Name
 * field), edit one explicitly from its row, delete unused custom ones.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, enc } from '../api.ts';
import { usePageTitle } from '../router.tsx';
import { Table } from '../table.tsx';
import type { Items, Tier } from '../types.ts';
import { Async, ErrorBox, Field, formatTier, sortTiers, useAction, useConfirm, useResource } from '../ui.tsx';

export function AdminTiers() {
  usePageTitle('Tiers');
  const tiers = useResource(async () => sortTiers((await api.get<Items<Tier>>('/api/v1/tiers')).items), []);
  const remove = useAction();
  const confirm = useConfirm();
  const [editing, setEditing] = useState<Tier | undefined>();
  const del = async (t: Tier) => {
    const yes = await confirm.ask(
      `Delete the ${t.name} tier?`,
      'Only a custom tier that nothing uses can be deleted.',
      'Delete tier',
    );
    if (!yes) return;
    const ok = await remove.run(() => api.del(`/api/v1/tiers/${enc(t.name)}`).then(() => true));
    if (ok) tiers.reload();
  };
  return (
    <section>
      <div className="page-head">
        <h1>Tiers</h1>
        <p className="muted">A tier limits how many requests a subscription may send per unit of time.</p>
      </div>
      <div className="grid-2 grid-wide-left">
        <div>
          <ErrorBox error={remove.error} />
          <Async resource={tiers} label="tiers">
            {(items) => (
              <Table
                rows={items}
                rowKey={(t) => t.name}
                columns={[
                  {
                    header: 'Tier',
                    cell: (t) => (
                      <>
                        <strong>{t.name}</strong>
                        {t.builtIn && <span className="badge">built-in</span>}
                        {t.description && <div className="muted small">{t.description}</div>}
                      </>
                    ),
                  },
                  { header: 'Limit', cell: (t) => formatTier(t) },
                  { header: 'Burst', cell: (t) => t.burst ?? '—' },
                  {
                    header: 'Actions',
                    hiddenHeader: true,
                    className: 'right',
                    cell: (t) => (
                      <span className="actions-inline">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setEditing(t)}
                          aria-label={`Edit tier ${t.name}`}
                        >
                          Edit
                        </button>
                        {!t.builtIn && (
                          <button
                            type="button"
                            className="btn btn-small btn-danger-outline"
                            onClick={() => del(t)}
                            aria-label={`Delete tier ${t.name}`}
                          >
                            Delete
                          </button>
                        )}
                      </span>
                    ),
                  },
                ]}
              />
            )}
          </Async>
        </div>
        <TierForm
          key={editing?.name ?? '(new)'}
          editing={editing}
          onDone={() => setEditing(undefined)}
          onSaved={tiers.reload}
        />
      </div>
      {confirm.dialog}
    </section>
  );
}

/** New tier (POST: a taken name is a 409 shown on Name), or the explicit edit of one (PUT). */
function TierForm(props: { editing: Tier | undefined; onDone: () => void; onSaved: () => void }) {
  const e0 = props.editing;
  const [name, setName] = useState(e0?.name ?? '');
  const [description, setDescription] = useState(e0?.description ?? '');
  const [requests, setRequests] = useState(e0?.requests != null ? String(e0.requests) : '');
  const [unit, setUnit] = useState(String(e0?.unitSeconds ?? 60));
  const [burst, setBurst] = useState(e0?.burst != null ? String(e0.burst) : '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  // Edit moves focus to the form it filled in.
  useEffect(() => {
    if (e0) heading.current?.focus();
  }, [e0]);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name))
      errs['name'] = 'Letters, digits, “_”, “.” or “-”, e.g. Platinum.';
    if (requests.trim() && !/^[1-9]\d{0,9}$/.test(requests.trim()))
      errs['requests'] = 'A positive whole number, or empty for unlimited.';
    if (!/^[1-9]\d{0,7}$/.test(unit.trim())) errs['unit'] = 'A positive number of seconds, e.g. 60.';
    if (burst.trim() && !/^\d{1,10}$/.test(burst.trim())) errs['burst'] = 'A whole number, or empty.';
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    const body = {
      description,
      requests: requests.trim() ? Number(requests) : null,
      unitSeconds: Number(unit),
      burst: burst.trim() ? Number(burst) : null,
    };
    const ok = await action.run(async () => {
      if (e0) return api.put<Tier>(`/api/v1/tiers/${enc(e0.name)}`, body);
      try {
        return await api.post<Tier>('/api/v1/tiers', { name, ...body });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'tier_exists')) throw err;
        setErrors({ name: `${err.message}. Use its Edit button to change it.` });
        return undefined;
      }
    });
    if (ok) {
      setName('');
      setDescription('');
      setRequests('');
      setBurst('');
      props.onSaved();
      if (e0) props.onDone();
    }
  };
  const input = (
    label: string,
    key: string,
    value: string,
    set: (v: string) => void,
    hint?: string,
    readOnly?: boolean,
  ) => (
    <Field label={label} hint={hint} error={errors[key]}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          value={value}
          readOnly={readOnly}
          onChange={(e) => {
            set(e.target.value);
            if (errors[key]) setErrors({ ...errors, [key]: '' });
          }}
          aria-invalid={invalid}
          aria-describedby={describedBy}
        />
      )}
    </Field>
  );
  return (
    <section className="panel">
      <h2 ref={heading} tabIndex={-1}>
        {e0 ? `Edit the ${e0.name} tier` : 'New tier'}
      </h2>
      <form onSubmit={submit} noValidate>
        {e0
          ? input('Name', 'name', name, setName, 'A tier keeps its name.', true)
          : input('Name', 'name', name, setName, 'A new name; to change a tier, use its Edit button.')}
        {input('Description', 'description', description, setDescription)}
        {input('Requests', 'requests', requests, setRequests, 'Per unit of time; empty = unlimited.')}
        {input('Unit of time (seconds)', 'unit', unit, setUnit)}
        {input('Burst (optional)', 'burst', burst, setBurst)}
        <ErrorBox error={action.error} />
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            {action.busy ? 'Saving…' : e0 ? 'Save changes' : 'Save tier'}
          </button>
          {e0 && (
            <button type="button" className="btn" onClick={props.onDone}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
