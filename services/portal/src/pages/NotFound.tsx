import { Link, usePageTitle } from '../router.tsx';

export function NotFound() {
  usePageTitle('Not found');
  return (
    <section className="empty">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link to="/apis" className="btn btn-primary">
        Browse APIs
      </Link>
    </section>
  );
}

export function Forbidden() {
  usePageTitle('Not allowed');
  return (
    <section className="empty">
      <h1>Administrators only</h1>
      <p>This page needs the admin role. Ask a Portico administrator if you need access.</p>
    </section>
  );
}
