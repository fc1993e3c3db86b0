/** The key-manager admin API over HTTP (docs/internal-apis.md "Key-manager admin API"). */
import type { TokenValidity } from '@portico/contracts';
import { serializeTokenValidity } from '@portico/contracts';
import type { ClientInfo, ClientPatch, ClientSpec, IssuedToken, KeyManagerClient } from './port.ts';
import { KeyManagerError } from './port.ts';

export interface HttpKeyManagerOptions {
  adminUrl: string;
  adminToken: string;
  timeoutMs: number;
}

export class HttpKeyManagerClient implements KeyManagerClient {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: HttpKeyManagerOptions) {
    this.base = options.adminUrl.replace(/\/+$/, '');
    this.token = options.adminToken;
    this.timeoutMs = options.timeoutMs;
  }

  async createClient(spec: ClientSpec): Promise<ClientInfo & { clientSecret: string }> {
    const body = { ...spec, validitySeconds: serializeTokenValidity(spec.validitySeconds) };
    return (await this.call('POST', '/admin/clients', body)) as ClientInfo & { clientSecret: string };
  }

  async getClient(clientId: string): Promise<ClientInfo> {
    return (await this.call('GET', `/admin/clients/${enc(clientId)}`)) as ClientInfo;
  }

  async updateClient(clientId: string, patch: ClientPatch): Promise<void> {
    await this.call('PATCH', `/admin/clients/${enc(clientId)}`, patch);
  }

  async deleteClient(clientId: string): Promise<void> {
    try {
      await this.call('DELETE', `/admin/clients/${enc(clientId)}`);
    } catch (err) {
      if (err instanceof KeyManagerError && err.kind === 'not_found') return;
      throw err;
    }
  }

  async regenerateSecret(clientId: string): Promise<string> {
    const body = (await this.call('POST', `/admin/clients/${enc(clientId)}/secret`, {})) as {
      clientSecret: string;
    };
    return body.clientSecret;
  }

  async issueApplicationToken(
    clientId: string,
    options: { scope?: string; validitySeconds?: TokenValidity; revokePrevious: boolean },
  ): Promise<IssuedToken> {
    const { validitySeconds, ...rest } = options;
    const body = {
      ...rest,
      ...(validitySeconds === undefined ? {} : { validitySeconds: serializeTokenValidity(validitySeconds) }),
    };
    return (await this.call('POST', `/admin/clients/${enc(clientId)}/tokens`, body)) as IssuedToken;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw new KeyManagerError(
        'unavailable',
        `key-manager unreachable: ${(err as Error).message}`,
        undefined,
        err,
      );
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      if (text === '') return undefined;
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new KeyManagerError('unavailable', 'key-manager answered invalid JSON', res.status, err);
      }
    }
    const message = errorMessage(text) ?? `HTTP ${res.status}`;
    if (res.status === 404) throw new KeyManagerError('not_found', message, 404);
    // 401/403 mean our admin token is wrong: an operator problem, not the caller's.
    if (res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 403) {
      throw new KeyManagerError('unavailable', `key-manager ${method} ${path}: ${message}`, res.status);
    }
    throw new KeyManagerError('rejected', message, res.status);
  }
}

const enc = encodeURIComponent;

function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; error_description?: unknown };
    if (typeof body.error === 'object' && typeof body.error?.message === 'string') return body.error.message;
    if (typeof body.error_description === 'string') return body.error_description;
    if (typeof body.error === 'string') return body.error;
  } catch {
    // not JSON
  }
  return undefined;
}
