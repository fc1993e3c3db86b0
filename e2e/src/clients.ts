/**
 * Real clients for the journeys: `curl` (a child process) for API calls through the gateway, and
 * openid-client (a standard OAuth library) for the token endpoints.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as oidc from 'openid-client';

const run = promisify(execFile);

export interface CurlResult {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** One request with curl; status 0 = no HTTP answer (connection refused/reset, timeout). */
export async function curl(
  url: string,
  options: { headers?: Record<string, string>; method?: string; maxTimeSeconds?: number } = {},
): Promise<CurlResult> {
  const args = [
    '-sS',
    '-D',
    '-',
    '--max-time',
    String(options.maxTimeSeconds ?? 10),
    '-X',
    options.method ?? 'GET',
  ];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(url);
  let stdout = '';
  try {
    ({ stdout } = await run('curl', args, { maxBuffer: 4 * 2 ** 20 }));
  } catch (err) {
    return { status: 0, body: (err as { stderr?: string }).stderr ?? String(err), headers: {} };
  }
  // -D - prints the header block(s) first; the last block is the final answer.
  const split = stdout.lastIndexOf('\r\n\r\n');
  const head = stdout.slice(0, split);
  const body = stdout.slice(split + 4);
  const block = head.split('\r\n\r\n').pop() ?? '';
  const [statusLine = '', ...lines] = block.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1] ?? 0), body, headers };
}

/** The gateway call of WSO2's Generate Access Tokens page: Authorization and, when given, the client domain header. */
export function callApi(
  gatewayUrl: string,
  path: string,
  token: string | undefined,
  domain?: { header: string; value: string },
): Promise<CurlResult> {
  return curl(`${gatewayUrl}${path}`, {
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(domain ? { [domain.header]: domain.value } : {}),
    },
  });
}

/** An OAuth client of the key-manager (discovery, client_secret_basic, http allowed on loopback). */
export async function oauthClient(
  issuer: string,
  clientId: string,
  clientSecret: string,
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Admin API of the key-manager (loopback, bearer admin token). */
export async function kmAdmin(
  adminUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export { oidc };
