/** My applications (admins: everyone's), and the form to create one. */
import { api } from '../api.ts';
import { ApplicationFields, useApplicationFields, withNameConflict } from '../application-fields.tsx';
import { Link, navigate, usePageTitle } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Table } from '../table.tsx';
import type { Application, Items } from '../types.ts';
import { Async, ErrorBox, useAction, useResource } from '../ui.tsx';

export function Applications() {
  usePageTitle('Applications');
  const { isAdmin } = useSession();
  const apps = useResource(() => api.get<Items<Application>>('/api/v1/applications'), []);
  return (
    <section>
      <div className="page-head">
        <h1>Applications</h1>
        <p className="muted">
          An application holds your subscriptions and your production and sandbox keys.
          {isAdmin && ' As an administrator you see every developer’s applications.'}
        </p>
      </div>
      <div className="grid-2 grid-wide-left">
        <div>
          <Async resource={apps} label="applications">
            {({ items }) =>
              items.length === 0 ? (
                <div className="empty">
                  <p>You have no applications yet. Create your first one.</p>
                </div>
              ) : (
                <Table
                  caption="Your applications"
                  rows={items}
                  rowKey={(a) => a.id}
                  columns={[
                    {
                      header: 'Name',
                      cell: (a) => (
                        <>
                          <Link to={`/applications/${a.id}`}>{a.name}</Link>
                          {a.description && <div className="muted small">{a.description}</div>}
                        </>
                      ),
                    },
                    {
                      header: 'Keys',
                      cell: (a) =>
                        a.keys.length === 0
                          ? 'none'
                          : a.keys.map((k) => (
                              <span key={k.keyType} className={`badge badge-${k.keyType.toLowerCase()}`}>
                                {k.keyType === 'PRODUCTION' ? 'Production' : 'Sandbox'}
                              </span>
                            )),
                    },
                    isAdmin && { header: 'Owner', className: 'small', cell: (a) => a.owner },
                    {
                      header: 'Created',
                      className: 'small',
                      cell: (a) => new Date(a.createdAt).toLocaleDateString('en'),
                    },
                  ]}
                />
              )
            }
          </Async>
        </div>
        <CreateApplication />
      </div>
    </section>
  );
}

function CreateApplication() {
  const fields = useApplicationFields('', '');
  const { name, description, setNameError } = fields;
  const action = useAction();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setNameError('Give the application a name.');
    if (trimmed.length > 200) return setNameError('At most 200 characters.');
    setNameError(undefined);
    const created = await action.run(() =>
      withNameConflict(fields, () =>
        api.post<Application>('/api/v1/applications', { name: trimmed, description: description.trim() }),
      ),
    );
    if (created) navigate(`/applications/${created.id}`);
  };
  return (
    <section className="panel">
      <h2>Create an application</h2>
      <form onSubmit={submit} noValidate>
        <ApplicationFields {...fields.props} nameRequired descriptionLabel="Description (optional)" />
        <ErrorBox error={action.error} />
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {action.busy ? 'Creating…' : 'Create application'}
        </button>
      </form>
    </section>
  );
}
