import { usePageTitle } from '../router.tsx';
import { signInUrl } from '../session.tsx';

/** What a signed-out visitor sees: what the portal is for, and the way in. */
export function Welcome() {
  usePageTitle('Welcome');
  const returnTo = window.location.pathname === '/' ? '/apis' : window.location.pathname;
  return (
    <section className="hero">
      <h1>Build on our APIs</h1>
      <p className="lead">
        Browse the API catalog, create an application, subscribe it to the APIs you need and get your
        production and sandbox keys in minutes.
      </p>
      <ol className="steps">
        <li>
          <strong>Sign in</strong> with your organisation account.
        </li>
        <li>
          <strong>Create an application</strong> and subscribe it to APIs with a tier.
        </li>
        <li>
          <strong>Generate keys</strong> and call the API through the gateway.
        </li>
      </ol>
      <a className="btn btn-primary btn-large" href={signInUrl(returnTo)}>
        Sign in to get started
      </a>
    </section>
  );
}
