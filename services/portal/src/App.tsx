/**
 * The shell: who is signed in (GET /api/v1/me), the header with the navigation, and the page for
 * the current path. Signed-out visitors see the welcome page with the sign-in button; admin pages
 * are only routed for the admin role (the API enforces it too).
 */
import type { ReactNode } from 'react';
import { useEffect, useMemo, useRef } from 'react';
import { api, loadConfig, loadMe, setCsrfToken } from './api.ts';
import { AdminApiEdit, AdminApiNew, AdminApis } from './pages/AdminApis.tsx';
import { AdminTiers } from './pages/AdminTiers.tsx';
import { AdminUsage } from './pages/AdminUsage.tsx';
import { ApiDetail } from './pages/ApiDetail.tsx';
import { ApplicationDetail } from './pages/ApplicationDetail.tsx';
import { Applications } from './pages/Applications.tsx';
import { Catalog } from './pages/Catalog.tsx';
import { Forbidden, NotFound } from './pages/NotFound.tsx';
import { Welcome } from './pages/Welcome.tsx';
import { Link, match, navigate, useLocation } from './router.tsx';
import type { Session } from './session.tsx';
import { SessionContext, signInUrl, useSession } from './session.tsx';
import type { PortalConfig } from './types.ts';
import { Async, ErrorBox, useResource } from './ui.tsx';

export function App() {
  const boot = useResource(async () => {
    const [me, config] = await Promise.all([loadMe(), loadConfig()]);
    return { me, config };
  }, []);
  // The store cannot be reached (or fails) at start: the normal page chrome, a clear message and a
  // retry, not a bare alert on an empty page.
  if (boot.state === 'error')
    return (
      <Shell account={false}>
        <section className="narrow">
          <h1>The portal cannot start right now</h1>
          <p className="lead">
            Portico could not load your session from the portal server. Nothing is lost: try again in a
            moment.
          </p>
          <ErrorBox error={boot.error} onRetry={boot.reload} />
        </section>
      </Shell>
    );
  return (
    <Async resource={boot} label="the portal">
      {({ me, config }) =>
        me ? (
          <SignedIn
            session={{ me, config, isAdmin: me.roles.includes('admin'), signOut: () => signOut(config) }}
          />
        ) : (
          <Shell>
            <Welcome />
          </Shell>
        )
      }
    </Async>
  );
}

/**
 * Ends the portal session, then the key-manager's own session (it asks the user to confirm and
 * comes back to the portal), so the next sign-in on this browser asks for a password again.
 */
async function signOut(config: PortalConfig): Promise<void> {
  await api.post('/auth/logout').catch(() => undefined);
  setCsrfToken(undefined);
  const { url, clientId, postLogoutRedirectUri } = config.endSession;
  window.location.assign(
    `${url}?${new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: postLogoutRedirectUri })}`,
  );
}

function SignedIn(props: { session: Session }) {
  const value = useMemo(() => props.session, [props.session]);
  return (
    <SessionContext.Provider value={value}>
      <Shell session={value}>
        <Page />
      </Shell>
    </SessionContext.Provider>
  );
}

const NAV = [
  { to: '/apis', label: 'APIs' },
  { to: '/applications', label: 'Applications' },
];
const ADMIN_NAV = [
  { to: '/admin/apis', label: 'Manage APIs' },
  { to: '/admin/tiers', label: 'Tiers' },
  { to: '/admin/usage', label: 'API usage' },
];

function Shell(props: { session?: Session; account?: false; children: ReactNode }) {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  // A new page: move focus to its main region so keyboard and screen-reader users start there.
  const first = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation (path)
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);
  const nav = props.session ? [...NAV, ...(props.session.isAdmin ? ADMIN_NAV : [])] : [];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              P
            </span>
            Portico <span className="brand-sub">developer portal</span>
          </Link>
          {props.session && (
            <nav aria-label="Main">
              <ul className="nav">
                {nav.map((n) => (
                  <li key={n.to}>
                    <Link to={n.to} aria-current={path.startsWith(n.to) ? 'page' : undefined}>
                      {n.label}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <div className="account">
            {props.account === false ? null : props.session ? (
              <>
                <span className="who" title={props.session.me.subject}>
                  {props.session.me.subject}
                  {props.session.isAdmin && <span className="badge badge-admin">admin</span>}
                </span>
                <button type="button" className="btn btn-small" onClick={() => props.session?.signOut()}>
                  Sign out
                </button>
              </>
            ) : (
              <a className="btn btn-primary btn-small" href={signInUrl(currentPath())}>
                Sign in
              </a>
            )}
          </div>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className="container">
        {props.children}
      </main>
      <footer className="footer container">Portico · API management for Kubernetes</footer>
    </>
  );
}

function currentPath(): string {
  return window.location.pathname + window.location.search;
}

type Params = Record<string, string>;
const ROUTES: { pattern: string; admin?: boolean; render: (p: Params) => ReactNode }[] = [
  { pattern: '/apis', render: () => <Catalog /> },
  { pattern: '/apis/:apiId', render: (p) => <ApiDetail apiId={p['apiId']!} /> },
  { pattern: '/applications', render: () => <Applications /> },
  {
    pattern: '/applications/:applicationId/:tab?',
    render: (p) => <ApplicationDetail applicationId={p['applicationId']!} tab={p['tab'] ?? 'overview'} />,
  },
  { pattern: '/admin/apis', admin: true, render: () => <AdminApis /> },
  { pattern: '/admin/apis/new', admin: true, render: () => <AdminApiNew /> },
  { pattern: '/admin/apis/:apiId', admin: true, render: (p) => <AdminApiEdit apiId={p['apiId']!} /> },
  { pattern: '/admin/tiers', admin: true, render: () => <AdminTiers /> },
  { pattern: '/admin/usage/:apiId?', admin: true, render: (p) => <AdminUsage apiId={p['apiId']} /> },
];

function Page() {
  const { path } = useLocation();
  const { isAdmin } = useSession();
  if (path === '/') return <Redirect to="/apis" />;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (!params) continue;
    if (r.admin && !isAdmin) return <Forbidden />;
    return <>{r.render(params)}</>;
  }
  return <NotFound />;
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);
  return null;
}
