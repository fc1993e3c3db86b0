/**
 * Application keys: one OAuth client at the key-manager per application and key type
 * (PRODUCTION, SANDBOX). The store keeps the client id and the key's settings (allowed domains,
 * token validity, format, grant types, callback URLs); secrets and tokens are passed through
 * to the caller once and never stored.
 *
 * Generating keys is three steps without a transaction: reserve the slot (compare-and-set, so
 * two concurrent requests cannot both create a client), create the client at the key-manager,
 * record it. A failure in between frees the slot (or, if the application is gone, deletes the
 * new client); a crash leaves a PENDING slot that can be taken over after
 * KEY_PENDING_TIMEOUT_SECONDS.
 */
import type { KeyGrantsProblem, TokenValidityBounds } from '@portico/contracts';
import {
  checkKeyGrants,
  checkValidity,
  describeKeyGrantsProblems,
  keyGrantsDetails,
} from '@portico/contracts';
import type { Logger } from '@portico/core';
import type { KeyType, TokenFormat } from '@portico/events';
import type { IssuedToken, KeyManagerClient } from '../keymanager/port.ts';
import { mutateEntity } from '../outbox/entity-store.ts';
import { normalizeAllowedDomains } from './allowed-domains.ts';
import type { ApplicationService } from './applications.ts';
import { Conflict, InvalidInput, NotFound } from './errors.ts';
import { applicationEvents } from './events.ts';
import { keyManagerFailure } from './km-errors.ts';
import type { ApplicationDoc, KeySettings, KeyState, StoreModels } from './models.ts';
import type { Principal } from './principal.ts';

/** Key settings as asked; what is left out keeps its current (or default) value. */
export interface KeySettingsInput {
  allowedDomains?: string[] | undefined;
  /** Seconds; negative = never expires. */
  validitySeconds?: number | undefined;
  tokenFormat?: TokenFormat | undefined;
  grantTypes?: string[] | undefined;
  callbackUrls?: string[] | undefined;
}
export interface TokenRequest {
  scopes?: string[] | undefined;
  validitySeconds?: number | undefined;
  /** false keeps earlier tokens valid (the portal's try-it console); default true. */
  revokePrevious?: boolean | undefined;
}
type ActiveKey = Extract<KeyState, { state: 'ACTIVE' }>;

export class KeyService {
  private readonly models: StoreModels;
  private readonly apps: ApplicationService;
  private readonly km: KeyManagerClient;
  private readonly policy: TokenValidityBounds;
  private readonly pendingTimeoutMs: number;
  private readonly logger: Logger;

  constructor(deps: {
    models: StoreModels;
    applications: ApplicationService;
    keyManager: KeyManagerClient;
    validity: TokenValidityBounds;
    pendingTimeoutSeconds: number;
    logger: Logger;
  }) {
    this.models = deps.models;
    this.apps = deps.applications;
    this.km = deps.keyManager;
    this.policy = deps.validity;
    this.pendingTimeoutMs = deps.pendingTimeoutSeconds * 1000;
    this.logger = deps.logger;
  }

  async list(p: Principal, appId: string): Promise<Array<[KeyType, ActiveKey]>> {
    const app = await this.apps.get(p, appId);
    return activeKeys(app);
  }

  async get(p: Principal, appId: string, keyType: KeyType): Promise<ActiveKey> {
    return requireKey(await this.apps.get(p, appId), keyType);
  }

  async generate(
    p: Principal,
    appId: string,
    keyType: KeyType,
    input: KeySettingsInput,
  ): Promise<{ key: ActiveKey; consumerSecret: string }> {
    const settings = this.settings(input, undefined);
    const now = Date.now();
    // 1. reserve the slot
    await this.apps.mutateOwned(p, appId, (cur) => {
      const existing = cur.keys[keyType];
      const abandoned =
        existing?.state === 'PENDING' &&
        now - new Date(existing.pendingSince).getTime() > this.pendingTimeoutMs;
      if (existing && !abandoned) {
        throw new Conflict(
          existing.state === 'ACTIVE'
            ? `The application already has ${keyType} keys`
            : `${keyType} keys are being generated`,
          'keys_exist',
        );
      }
      return {
        kind: 'update',
        set: {
          keys: { ...cur.keys, [keyType]: { state: 'PENDING', pendingSince: new Date(now), ...settings } },
        },
      };
    });
    // 2. create the client
    let created: Awaited<ReturnType<KeyManagerClient['createClient']>>;
    try {
      created = await this.km.createClient({
        applicationId: appId,
        keyType,
        tokenFormat: settings.tokenFormat,
        grantTypes: settings.grantTypes,
        redirectUris: settings.callbackUrls,
        validitySeconds: settings.validitySeconds,
        name: `${appId} ${keyType}`,
      });
    } catch (err) {
      await this.releaseSlot(appId, keyType);
      throw keyManagerFailure(err);
    }
    // 3. record it (only into our own PENDING slot of a live application)
    const key: ActiveKey = {
      state: 'ACTIVE',
      clientId: created.clientId,
      createdAt: new Date(),
      ...settings,
    };
    const recorded = await mutateEntity(this.models.applications, { _id: appId }, (cur) => {
      if (cur.deleting || cur.keys[keyType]?.state !== 'PENDING') {
        throw new Conflict('The application changed while its keys were generated', 'application_changed');
      }
      return { kind: 'update', set: { keys: { ...cur.keys, [keyType]: key } }, events: applicationEvents };
    }).catch(async (err) => {
      await this.km
        .deleteClient(created.clientId)
        .catch((e) =>
          this.logger.warn({ err: (e as Error).message }, 'could not delete an unrecorded client'),
        );
      throw err;
    });
    if (!recorded) {
      await this.km.deleteClient(created.clientId).catch(() => undefined);
      throw new NotFound('No such application');
    }
    return { key, consumerSecret: created.clientSecret };
  }

  async update(p: Principal, appId: string, keyType: KeyType, input: KeySettingsInput): Promise<ActiveKey> {
    const app = await this.apps.get(p, appId);
    const current = requireKey(app, keyType);
    const settings = this.settings(input, current);
    const patch: Record<string, unknown> = {};
    if (settings.tokenFormat !== current.tokenFormat) patch['tokenFormat'] = settings.tokenFormat;
    if (!sameList(settings.grantTypes, current.grantTypes)) patch['grantTypes'] = settings.grantTypes;
    if (!sameList(settings.callbackUrls, current.callbackUrls)) patch['redirectUris'] = settings.callbackUrls;
    if (settings.validitySeconds !== current.validitySeconds)
      patch['validitySeconds'] = settings.validitySeconds;
    if (Object.keys(patch).length > 0) {
      try {
        await this.km.updateClient(current.clientId, patch);
      } catch (err) {
        throw keyManagerFailure(err);
      }
    }
    const updated = await this.apps.mutateOwned(p, appId, (cur) => {
      const k = cur.keys[keyType];
      if (k?.state !== 'ACTIVE' || k.clientId !== current.clientId)
        throw new Conflict('The keys changed meanwhile');
      return {
        kind: 'update',
        set: { keys: { ...cur.keys, [keyType]: { ...k, ...settings } } },
        events: applicationEvents,
      };
    });
    return requireKey(updated, keyType);
  }

  /** Generates an application access token; every earlier application token of the key is revoked. */
  async token(p: Principal, appId: string, keyType: KeyType, input: TokenRequest): Promise<IssuedToken> {
    const key = await this.get(p, appId, keyType);
    if (!key.grantTypes.includes('client_credentials')) {
      throw new InvalidInput('The key does not allow the client_credentials grant', 'grant_not_allowed');
    }
    const validitySeconds =
      input.validitySeconds === undefined ? key.validitySeconds : this.validity(input.validitySeconds);
    try {
      return await this.km.issueApplicationToken(key.clientId, {
        ...(input.scopes && input.scopes.length > 0 ? { scope: input.scopes.join(' ') } : {}),
        validitySeconds,
        revokePrevious: input.revokePrevious ?? true,
      });
    } catch (err) {
      throw keyManagerFailure(err);
    }
  }

  /** A new consumer secret: the old one stops working and the client's tokens are revoked. */
  async regenerateSecret(p: Principal, appId: string, keyType: KeyType): Promise<string> {
    const key = await this.get(p, appId, keyType);
    try {
      return await this.km.regenerateSecret(key.clientId);
    } catch (err) {
      throw keyManagerFailure(err);
    }
  }

  /**
   * Revokes the keys: the key disappears from the application (and from gateways, through the
   * application event) and its client is deleted at the key-manager, which revokes its tokens.
   * If the key-manager is down the deletion is queued and retried in the background.
   */
  async revoke(p: Principal, appId: string, keyType: KeyType): Promise<void> {
    await this.apps.mutateOwned(p, appId, (cur) => {
      const k = requireKey(cur, keyType);
      const { [keyType]: _gone, ...rest } = cur.keys;
      return {
        kind: 'update',
        set: { keys: rest, orphanClients: [...cur.orphanClients, k.clientId] },
        events: applicationEvents,
      };
    });
    await this.apps.releaseOrphans(appId);
  }

  private async releaseSlot(appId: string, keyType: KeyType): Promise<void> {
    await mutateEntity(this.models.applications, { _id: appId }, (cur) => {
      if (cur.keys[keyType]?.state !== 'PENDING') return { kind: 'unchanged' };
      const { [keyType]: _slot, ...rest } = cur.keys;
      return { kind: 'update', set: { keys: rest } };
    }).catch((err) => this.logger.warn({ err: (err as Error).message }, 'could not free a key slot'));
  }

  /** Validates and completes key settings (on top of the current ones when updating). */
  private settings(input: KeySettingsInput, current: KeySettings | undefined): KeySettings {
    let allowedDomains = current?.allowedDomains ?? [];
    if (input.allowedDomains !== undefined) {
      const check = normalizeAllowedDomains(input.allowedDomains);
      if (!check.ok) {
        throw new InvalidInput(
          `Invalid allowed domains: ${check.problems.join('; ')}`,
          'invalid_allowed_domains',
          {
            details: check.problems,
          },
        );
      }
      allowedDomains = check.domains;
    }
    const validitySeconds =
      input.validitySeconds !== undefined
        ? this.validity(input.validitySeconds)
        : (current?.validitySeconds ?? this.policy.defaultSeconds);
    const grants = this.grants(input, current);
    return {
      allowedDomains,
      validitySeconds,
      tokenFormat: input.tokenFormat ?? current?.tokenFormat ?? 'opaque',
      ...grants,
    };
  }

  /**
   * Grant types and callback URLs by the one rule the key-manager applies too (libs/contracts
   * key-grants.ts), before anything is written here or there. An update that changes neither
   * keeps them as they are.
   */
  private grants(
    input: KeySettingsInput,
    current: KeySettings | undefined,
  ): Pick<KeySettings, 'grantTypes' | 'callbackUrls'> {
    if (current && input.grantTypes === undefined && input.callbackUrls === undefined) {
      return { grantTypes: current.grantTypes, callbackUrls: current.callbackUrls };
    }
    const check = checkKeyGrants({
      grantTypes: input.grantTypes ?? current?.grantTypes ?? ['client_credentials'],
      callbackUrls: input.callbackUrls ?? current?.callbackUrls ?? [],
    });
    if (check.ok) return { grantTypes: check.grantTypes, callbackUrls: check.callbackUrls };
    const first = check.problems[0] as KeyGrantsProblem;
    throw new InvalidInput(describeKeyGrantsProblems(check.problems), first.rule, {
      details: keyGrantsDetails(check.problems),
    });
  }

  private validity(seconds: number): number {
    const check = checkValidity(seconds, this.policy);
    if (check.ok) return check.seconds;
    if (check.rule === 'never_not_allowed')
      throw new InvalidInput('Tokens that never expire are not allowed here', 'invalid_validity');
    const { minSeconds, maxSeconds, allowNeverExpires } = this.policy;
    throw new InvalidInput(
      `Token validity must be between ${minSeconds} and ${maxSeconds} seconds${allowNeverExpires ? ' (or negative: never expires)' : ''}`,
      'invalid_validity',
    );
  }
}

function activeKeys(app: ApplicationDoc): Array<[KeyType, ActiveKey]> {
  return (['PRODUCTION', 'SANDBOX'] as KeyType[]).flatMap((kt) => {
    const k = app.keys[kt];
    return k?.state === 'ACTIVE' ? [[kt, k] as [KeyType, ActiveKey]] : [];
  });
}

function requireKey(app: ApplicationDoc, keyType: KeyType): ActiveKey {
  const k = app.keys[keyType];
  if (k?.state !== 'ACTIVE') throw new NotFound(`The application has no ${keyType} keys`, 'no_keys');
  return k;
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
