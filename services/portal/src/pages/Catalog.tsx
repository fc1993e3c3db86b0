/** The API catalog: every API the caller may see, filtered as they type. */
import { useId, useState } from 'react';
import { api } from '../api.ts';
import { Link, navigate, useLocation, usePageTitle } from '../router.tsx';
import type { Api, Items } from '../types.ts';
import { Async, LifecycleBadge, useResource } from '../ui.tsx';

export function matchesSearch(a: Api, q: string): boolean {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const hay = `${a.name} ${a.version} ${a.context} ${a.description}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function Catalog() {
  usePageTitle('APIs');
  const { query } = useLocation();
  const [q, setQ] = useState(query.get('q') ?? '');
  const searchId = useId();
  const apis = useResource(() => api.get<Items<Api>>('/api/v1/apis'), []);
  const onSearch = (value: string) => {
    setQ(value);
    navigate(value ? `/apis?${new URLSearchParams({ q: value })}` : '/apis', { replace: true });
  };
  return (
    <section>
      <div className="page-head">
        <h1>APIs</h1>
        <p className="muted">Find an API, read its documentation and subscribe an application to it.</p>
      </div>
      <search className="search">
        <label htmlFor={searchId} className="visually-hidden">
          Search APIs
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search by name, context or description"
          value={q}
          onChange={(e) => onSearch(e.target.value)}
        />
      </search>
      <Async resource={apis} label="APIs">
        {({ items }) => {
          const shown = items.filter((a) => matchesSearch(a, q));
          if (items.length === 0)
            return (
              <div className="empty">
                <p>No APIs are published yet.</p>
              </div>
            );
          return (
            <>
              <p className="muted" aria-live="polite">
                {shown.length === items.length
                  ? `${items.length} API${items.length === 1 ? '' : 's'}`
                  : `${shown.length} of ${items.length} APIs match “${q}”`}
              </p>
              {shown.length === 0 ? (
                <div className="empty">
                  <p>No API matches your search.</p>
                </div>
              ) : (
                <ul className="cards">
                  {shown.map((a) => (
                    <li key={a.id} className="card">
                      <h2 className="card-title">
                        <Link to={`/apis/${a.id}`}>{a.name}</Link>
                      </h2>
                      <p className="card-meta">
                        <span className="version">v{a.version}</span>
                        <code>{a.context}</code>
                        {a.lifecycle !== 'PUBLISHED' && <LifecycleBadge state={a.lifecycle} />}
                      </p>
                      <p className="card-desc">{a.description || 'No description.'}</p>
                    </li>
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </Async>
    </section>
  );
}
