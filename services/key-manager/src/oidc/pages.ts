/**
 * Server-rendered pages (login, consent, errors, logout). No inline script or style: the
 * Content-Security-Policy below forbids them; the only stylesheet is served from our origin.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

export const STYLESHEET = `body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.2rem}.error{color:#a40000}.muted{color:#5a6270;font-size:.9rem}ul{padding-left:1.2rem}`;

function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function layout(title: string, body: string, base = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="${escapeHtml(base)}/assets/portico.css"></head>
<body><main>${body}</main></body></html>`;
}

export function loginPage(options: {
  uid: string;
  clientName: string;
  error?: string;
  username?: string;
  base?: string;
}): string {
  const action = `${options.base ?? ''}/interaction/${encodeURIComponent(options.uid)}/login`;
  return layout(
    'Sign in',
    `<h1>Sign in</h1><p class="muted">to continue to ${escapeHtml(options.clientName)}</p>
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="on">
<label for="username">Username (DOMAIN/name)</label>
<input id="username" name="username" required maxlength="400" value="${escapeHtml(options.username ?? '')}" autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" required maxlength="256">
<button type="submit">Sign in</button></form>`,
    options.base,
  );
}

export function consentPage(options: {
  uid: string;
  clientName: string;
  scopes: string[];
  base?: string;
}): string {
  const base = `${options.base ?? ''}/interaction/${encodeURIComponent(options.uid)}`;
  const items = options.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  return layout(
    'Authorize',
    `<h1>Authorize ${escapeHtml(options.clientName)}</h1>
<p>This application asks for access to your account${items ? ' with these scopes:' : '.'}</p>${items ? `<ul>${items}</ul>` : ''}
<form method="post" action="${escapeHtml(`${base}/confirm`)}"><button type="submit" name="decision" value="allow">Allow</button></form>
<form method="post" action="${escapeHtml(`${base}/abort`)}"><button type="submit" name="decision" value="deny">Deny</button></form>`,
    options.base,
  );
}

export function errorPage(title: string, message: string, base = ''): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`, base);
}
