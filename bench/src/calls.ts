/** The HTTP calls the Portico scenarios make besides the load itself. */
import type { Stack } from '@portico/e2e';

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
export const lua = (s: string) => JSON.stringify(s); // a JSON string is a valid Lua string literal here

export async function clientToken(stack: Stack, clientId: string, secret: string): Promise<string> {
  const res = await fetch(`${stack.keyManagerUrl}/token`, {
    method: 'POST',
    headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`client_credentials: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The status of a GET, with the token as Bearer (none: an anonymous call). */
export async function status(url: string, token: string | undefined): Promise<number> {
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(5000),
  });
  await res.body?.cancel();
  return res.status;
}

/** Polls until the gateway answers 200 (a new application reaches the read model through Kafka). */
export async function accepted(url: string, token: string | undefined): Promise<void> {
  let last = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    last = await status(url, token);
    if (last === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} still answers ${last} for a valid token`);
}

export async function cacheLookups(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^gateway_token_cache_lookups_total\{([^}]*)\} (\S+)$/gm)) {
    const level = /level="([^"]+)"/.exec(m[1]!)?.[1];
    const result = /result="([^"]+)"/.exec(m[1]!)?.[1];
    out[`${level}-${result}`] = Number(m[2]);
  }
  return out;
}
