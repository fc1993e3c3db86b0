/**
 * In-memory twin of the key-manager admin API, for unit tests: the same contract, with
 * inspectable state (live tokens per client, revoked tokens) and a switch to simulate an outage.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TokenValidity } from '@portico/contracts';
import { isNeverExpires } from '@portico/contracts';
import type { ClientInfo, ClientPatch, ClientSpec, IssuedToken, KeyManagerClient } from './port.ts';
import { KeyManagerError } from './port.ts';

interface Client extends ClientInfo {
  secretHash: string;
  tokens: string[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class MemoryKeyManager implements KeyManagerClient {
  readonly clients = new Map<string, Client>();
  readonly revokedTokens = new Set<string>();
  down = false;

  async createClient(spec: ClientSpec): Promise<ClientInfo & { clientSecret: string }> {
    this.check();
    const clientId = randomBytes(12).toString('base64url');
    const clientSecret = randomBytes(24).toString('base64url');
    const { scopes: _scopes, name: _name, ...info } = spec;
    const client: Client = {
      ...info,
      clientId,
      disabled: false,
      secretHash: sha256(clientSecret),
      tokens: [],
    };
    this.clients.set(clientId, client);
    return { ...this.info(client), clientSecret };
  }

  async getClient(clientId: string): Promise<ClientInfo> {
    return this.info(this.get(clientId));
  }

  async updateClient(clientId: string, patch: ClientPatch): Promise<void> {
    const c = this.get(clientId);
    const { scopes: _scopes, name: _name, ...rest } = patch;
    Object.assign(c, rest);
  }

  async deleteClient(clientId: string): Promise<void> {
    this.check();
    const c = this.clients.get(clientId);
    if (!c) return;
    for (const t of c.tokens) this.revokedTokens.add(t);
    this.clients.delete(clientId);
  }

  async regenerateSecret(clientId: string): Promise<string> {
    const c = this.get(clientId);
    const secret = randomBytes(24).toString('base64url');
    c.secretHash = sha256(secret);
    for (const t of c.tokens) this.revokedTokens.add(t);
    c.tokens = [];
    return secret;
  }

  async issueApplicationToken(
    clientId: string,
    options: { scope?: string; validitySeconds?: TokenValidity; revokePrevious: boolean },
  ): Promise<IssuedToken> {
    const c = this.get(clientId);
    if (options.revokePrevious) {
      for (const t of c.tokens) this.revokedTokens.add(t);
      c.tokens = [];
    }
    const token = randomBytes(24).toString('base64url');
    c.tokens.push(token);
    const validity = options.validitySeconds ?? c.validitySeconds ?? 3600;
    return {
      access_token: token,
      token_type: 'Bearer',
      ...(isNeverExpires(validity) ? {} : { expires_in: validity }),
      scope: options.scope ?? '',
    };
  }

  /** Whether a token would still be accepted (issued, not revoked, client alive). */
  isActive(token: string): boolean {
    if (this.revokedTokens.has(token)) return false;
    return [...this.clients.values()].some((c) => c.tokens.includes(token));
  }

  private check(): void {
    if (this.down) throw new KeyManagerError('unavailable', 'key-manager unreachable (twin is down)');
  }

  private get(clientId: string): Client {
    this.check();
    const c = this.clients.get(clientId);
    if (!c) throw new KeyManagerError('not_found', 'No such client', 404);
    return c;
  }

  private info(c: Client): ClientInfo {
    const { secretHash: _s, tokens: _t, ...info } = c;
    return info;
  }
}
