/** Admin: subscription tiers (built-in and custom): create or replace, delete unused custom ones. */
import { useState } from 'react';
import { api, enc } from '../api.ts';
import { usePageTitle } from '../router.tsx';
import { Table } from '../table.tsx';
import type { Items, Tier } from '../types.ts';
import { Async, ErrorBox, Field, formatTier, sortTiers, useAction, useConfirm, useResource } from '../ui.tsx';

export function AdminTiers() {
  usePageTitle('Tiers');
  const tiers = useResource(async () => sortTiers((await api.get<Items<Tier>>('/api/v1/tiers')).items), []);
  const remove = useAction();
  const confirm = useConfirm();
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
                    cell: (t) =>
                      !t.builtIn && (
                        <button
                          type="button"
                          className="btn btn-small btn-danger-outline"
                          onClick={() => del(t)}
                          aria-label={`Delete tier ${t.name}`}
                        >
                          Delete
                        </button>
                      ),
                  },
                ]}
              />
            )}
          </Async>
        </div>
        <TierForm onSaved={tiers.reload} />
      </div>
      {confirm.dialog}
    </section>
  );
}

function TierForm(props: { onSaved: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [requests, setRequests] = useState('');
  const [unit, setUnit] = useState('60');
  const [burst, setBurst] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
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
    const ok = await action.run(() =>
      api.put<Tier>(`/api/v1/tiers/${enc(name)}`, {
        description,
        requests: requests.trim() ? Number(requests) : null,
        unitSeconds: Number(unit),
        burst: burst.trim() ? Number(burst) : null,
      }),
    );
    if (ok) {
      setName('');
      setDescription('');
      setRequests('');
      setBurst('');
      props.onSaved();
    }
  };
  const input = (label: string, key: string, value: string, set: (v: string) => void, hint?: string) => (
    <Field label={label} hint={hint} error={errors[key]}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          value={value}
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
      <h2>Create or replace a tier</h2>
      <form onSubmit={submit} noValidate>
        {input('Name', 'name', name, setName, 'An existing name replaces that tier.')}
        {input('Description', 'description', description, setDescription)}
        {input('Requests', 'requests', requests, setRequests, 'Per unit of time; empty = unlimited.')}
        {input('Unit of time (seconds)', 'unit', unit, setUnit)}
        {input('Burst (optional)', 'burst', burst, setBurst)}
        <ErrorBox error={action.error} />
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {action.busy ? 'Saving…' : 'Save tier'}
        </button>
      </form>
    </section>
  );
}
