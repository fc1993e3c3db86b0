/**
 * Server-rendered pages (login, consent, errors, logout). No inline script or style: the
 * Content-Security-Policy below forbids them; the only stylesheet is served from our origin.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The portal's look (services/portal/src/styles.css: colours, system font stack, the dark top bar
 * with the "P" mark), so signing in does not feel like leaving the product.
 */
export const STYLESHEET = `:root{--bg:#f6f7fb;--surface:#fff;--text:#1b2130;--muted:#5b6478;--border:#dfe3ec;--primary:#2f4bd8;--primary-dark:#2338a8;--danger:#b42318;--radius:10px;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--text);background:var(--bg);line-height:1.5}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;flex-direction:column}
.topbar{background:#141a2e;color:#fff}.topbar-inner{max-width:1120px;margin:0 auto;padding:.6rem 1.25rem;display:flex;align-items:center;gap:.5rem}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:700;font-size:1.1rem}
.brand-mark{display:inline-grid;place-items:center;width:1.8rem;height:1.8rem;border-radius:7px;background:var(--primary);font-weight:800}
.brand-sub{font-weight:400;color:#aab3cc;font-size:.9rem}
main{flex:1;width:100%;max-width:28rem;margin:3rem auto;padding:0 1rem}
.card{background:var(--surface);border:1px solid var(--border);border-radius:var(--radius);padding:1.5rem;box-shadow:0 1px 2px rgb(16 24 40 / 6%),0 1px 3px rgb(16 24 40 / 10%)}
h1{font-size:1.5rem;margin:0 0 .25rem;line-height:1.25}p{margin:.5rem 0}
label{display:block;font-weight:600;margin:1rem 0 .3rem}
input{width:100%;padding:.55rem .7rem;font:inherit;color:inherit;border:1px solid #c4cad6;border-radius:8px;background:#fff}
input:focus-visible,button:focus-visible{outline:3px solid #8ea2ff;outline-offset:2px}
button{margin-top:1.25rem;padding:.55rem 1.2rem;font:inherit;font-weight:600;border:1px solid var(--primary);border-radius:8px;background:var(--primary);color:#fff;cursor:pointer}
button:hover{background:var(--primary-dark)}button[value=deny]{background:#fff;color:var(--text);border-color:#c4cad6}
form{margin:0}
.error{color:var(--danger);background:#fef3f2;border:1px solid #fecdca;border-radius:8px;padding:.6rem .8rem}
.muted{color:var(--muted);font-size:.95rem}ul{padding-left:1.2rem}
.footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}`;

/** The portal's icon (services/portal/public/favicon.svg), served by the key-manager too. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>Portico</title><rect width="32" height="32" rx="7" fill="#2f4bd8"/><path d="M8 25V7h9a6 6 0 0 1 0 12h-4v6z" fill="#fff"/></svg>';

function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export function layout(title: string, body: string, base = ''): string {
  const b = escapeHtml(base);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Portico</title><link rel="stylesheet" href="${b}/assets/portico.css">
<link rel="icon" href="${b}/assets/favicon.svg" type="image/svg+xml"></head>
<body><header class="topbar"><div class="topbar-inner"><span class="brand"><span class="brand-mark" aria-hidden="true">P</span>Portico <span class="brand-sub">account</span></span></div></header>
<main><div class="card">${body}</div></main><footer class="footer">Portico · API management for Kubernetes</footer></body></html>`;
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
