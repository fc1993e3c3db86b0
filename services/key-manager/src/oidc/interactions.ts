/**
 * Login and consent pages for the authorization endpoint (server-rendered, CSP, no script).
 *   GET  /interaction/:uid          login form, or consent form (first-party clients skip it)
 *   POST /interaction/:uid/login    checks the credentials against the user's own domain store,
 *                                   unless the account waits out its failure delay
 *                                   (passwordFailures.ts, shared with the password grant)
 *   POST /interaction/:uid/confirm  grants the requested scopes
 *   POST /interaction/:uid/abort    access_denied back to the client
 * The interaction is bound to its cookie by oidc-provider: a uid alone is worthless.
 */
import type { Logger } from '@portico/core';
import type { NextFunction, Request, Response, Router } from 'express';
import express from 'express';
import type Provider from 'oidc-provider';
import type { PasswordFailures } from '../limits/passwordFailures.ts';
import { parseUserName } from '../users/domains.ts';
import type { UserStore } from '../users/userStore.ts';
import { isDependencyDown } from './hooks.ts';
import { FixedWindowLimiter } from './oauthMiddleware.ts';
import { consentPage, errorPage, loginPage, PAGE_CSP, STYLESHEET } from './pages.ts';

export function interactionsRouter(options: {
  provider: Provider;
  users: UserStore;
  domains: ReadonlySet<string>;
  logger: Logger;
  loginsPerIp: number;
  /** The per-account failure delay, shared with the password grant (passwordFailures.ts). */
  passwordFailures: PasswordFailures;
  /** The issuer's path ('' or e.g. '/oauth'): page links and form actions are under it. */
  basePath: string;
}): Router {
  const { provider } = options;
  const base = options.basePath;
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: 8 * 1024, parameterLimit: 20 });

  router.use(['/interaction', '/assets'], (_req, res, next) => {
    res.setHeader('content-security-policy', PAGE_CSP);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    next();
  });

  router.get('/assets/portico.css', (_req, res) => {
    res.type('text/css').setHeader('cache-control', 'public, max-age=3600');
    res.send(STYLESHEET);
  });

  const html = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

  router.get('/interaction/:uid', async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    const client = await provider.Client.find(String(details.params['client_id']));
    const clientName = client?.clientName ?? String(details.params['client_id']);
    if (details.prompt.name === 'login') {
      return html(res, 200, loginPage({ uid: details.uid, clientName, base }));
    }
    if (details.prompt.name === 'consent') {
      if (client?.metadata()['first_party'] === true) return grantConsent(req, res);
      const scopes = String(details.params['scope'] ?? '')
        .split(' ')
        .filter(Boolean);
      return html(res, 200, consentPage({ uid: details.uid, clientName, scopes, base }));
    }
    return html(res, 400, errorPage('Unsupported step', 'This sign-in step is not supported.', base));
  });

  const logins = new FixedWindowLimiter(options.loginsPerIp);
  router.post('/interaction/:uid/login', form, async (req, res) => {
    const wait = logins.hit(req.socket.remoteAddress ?? 'unknown');
    if (wait > 0) {
      res.setHeader('retry-after', String(wait));
      return html(
        res,
        429,
        errorPage('Too many attempts', 'Too many sign-in attempts. Wait a minute and try again.', base),
      );
    }
    const details = await provider.interactionDetails(req, res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body['username'] === 'string' ? body['username'] : '';
    const password = typeof body['password'] === 'string' ? body['password'] : '';
    const name = username && password.length <= 256 ? parseUserName(username, options.domains) : undefined;
    // During the account's delay the password is not even checked (a hint, no other difference).
    const delayed = name ? await options.passwordFailures.claim(name.canonical) : 0;
    const user = name && delayed === 0 ? await options.users.authenticate(name, password) : undefined;
    if (!name || !user) {
      const client = await provider.Client.find(String(details.params['client_id']));
      return html(
        res,
        401,
        loginPage({
          uid: details.uid,
          clientName: client?.clientName ?? String(details.params['client_id']),
          error:
            delayed > 0
              ? `Too many failed sign-ins for this account. Try again in ${delayed} seconds.`
              : 'Invalid username or password.',
          username: username.slice(0, 400),
          base,
        }),
      );
    }
    await options.passwordFailures.passwordAccepted(name.canonical);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: name.canonical, amr: ['pwd'] } },
      { mergeWithLastSubmission: false },
    );
  });

  async function grantConsent(req: Request, res: Response): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session } = details;
    if (prompt.name !== 'consent' || !session) {
      html(res, 400, errorPage('Unexpected request', 'There is nothing to consent to.', base));
      return;
    }
    const accountId = session.accountId;
    const clientId = String(params['client_id']);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId });
    if (!grant) {
      html(res, 400, errorPage('Unexpected request', 'The grant no longer exists.', base));
      return;
    }
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  router.post('/interaction/:uid/confirm', form, (req, res) => grantConsent(req, res));

  router.post('/interaction/:uid/abort', form, async (req, res) => {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the user denied the request' },
      { mergeWithLastSubmission: false },
    );
  });

  // Expired or foreign interactions, bad form bodies, outages: an HTML answer, never a stack.
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isDependencyDown(err)) {
      res.setHeader('retry-after', '5');
      return html(res, 503, errorPage('Temporarily unavailable', 'Please try again in a moment.', base));
    }
    const status =
      (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return html(
        res,
        status,
        errorPage('Sign-in failed', 'This sign-in request is invalid or has expired. Start again.', base),
      );
    }
    options.logger.error({ err }, 'interaction failed');
    return html(res, 500, errorPage('Sign-in failed', 'Something went wrong.', base));
  });
  return router;
}
