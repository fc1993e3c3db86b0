/**
 * A scripted browser for the key-manager's login form: a cookie jar, manual redirects, and
 * `signIn` that fills the login (and consent) forms until a redirect reaches `stopAt`.
 * The demo seed, the key-manager's, the store's and e2e tests sign people in with it, as a
 * person would.
 */

export class FormBrowser {
  private readonly cookies = new Map<string, string>();
  /** Every HTML page `signIn` was shown (login, consent), in order. */
  readonly pages: string[] = [];

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  async fetch(
    url: string,
    init: { method?: string; body?: URLSearchParams | string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(this.cookies.size > 0
          ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
          : {}),
        ...(init.body instanceof URLSearchParams
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    this.keep(res);
    return res;
  }

  /**
   * Follows redirects from `start`, filling the login and consent forms, until a redirect goes to
   * `stopAt` (returned, not followed) or an answer that is not a redirect (its URL is returned).
   */
  async signIn(
    start: string,
    credentials: { username: string; password: string },
    stopAt?: string,
  ): Promise<URL> {
    let next: { url: string; method: string; body?: URLSearchParams } = { url: start, method: 'GET' };
    for (let i = 0; i < 20; i += 1) {
      const res = await this.fetch(next.url, {
        method: next.method,
        ...(next.body ? { body: next.body } : {}),
      });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const target = new URL(location, next.url);
        if (stopAt && target.href.startsWith(stopAt)) return target;
        next = { url: target.href, method: 'GET' };
        continue;
      }
      const html = await res.text();
      this.pages.push(html);
      if (res.status !== 200)
        throw new Error(`sign-in: unexpected ${res.status} at ${next.url}: ${html.slice(0, 300)}`);
      const login = /<form method="post" action="([^"]+\/login)"/.exec(html);
      if (login?.[1]) {
        next = {
          url: new URL(login[1].replaceAll('&amp;', '&'), next.url).href,
          method: 'POST',
          body: new URLSearchParams(credentials),
        };
        continue;
      }
      const confirm = /<form method="post" action="([^"]+\/confirm)"/.exec(html);
      if (confirm?.[1]) {
        next = {
          url: new URL(confirm[1].replaceAll('&amp;', '&'), next.url).href,
          method: 'POST',
          body: new URLSearchParams({ decision: 'allow' }),
        };
        continue;
      }
      if (/invalid|incorrect/i.test(html)) throw new Error(`sign-in refused for ${credentials.username}`);
      return new URL(next.url);
    }
    throw new Error('sign-in: too many steps');
  }
}
