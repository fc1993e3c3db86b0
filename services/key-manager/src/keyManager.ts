/**
 * Builds the key-manager from its configuration and connections: stores, outbox and relay,
 * signing keys, the oidc-provider instance and the two express apps. main.ts (the composition
 * root) and the tests both use it, so they run the same wiring.
 */
import { randomBytes } from 'node:crypto';
import type { Logger, Metrics } from '@portico/core';
import type { EventPublisher } from '@portico/events';
import type { mongo } from 'mongoose';
import type Provider from 'oidc-provider';
import { adminRouter } from './admin/router.ts';
import type { Config } from './config.ts';
import { createHasher } from './crypto/hashing.ts';
import { parseKeyring, parsePartitionKeyrings } from './crypto/keyring.ts';
import { AuthFailureCounter, installTokenAuthFailureLimit } from './limits/tokenAuthFailures.ts';
import { installHooks, jwtVerifier } from './oidc/hooks.ts';
import { interactionsRouter } from './oidc/interactions.ts';
import { registerPasswordGrant } from './oidc/passwordGrant.ts';
import { createProvider, currentClientId } from './oidc/provider.ts';
import { loadSigningKeys } from './oidc/signingKeys.ts';
import { parseDomainValidity } from './oidc/validity.ts';
import type { Outbox } from './outbox/outbox.ts';
import { createOutbox } from './outbox/outbox.ts';
import { OutboxRelay } from './outbox/relay.ts';
import type { ClientStore } from './store/clients.ts';
import { createClientStore, staticClient } from './store/clients.ts';
import { createAdapterFactory, ensureAdapterIndexes, TokenCache } from './store/oidcAdapter.ts';
import { normalizeDomain, Partitions, PRIMARY, parseUserName } from './users/domains.ts';
import type { UserStore } from './users/userStore.ts';
import { createUserStore, ROLES } from './users/userStore.ts';

/** A fixed development key; main.ts refuses to start without a real one in production. */
const DEV_HASH_KEY = 'portico-dev-token-hash-key-do-not-use-in-production';

export interface KeyManagerParts {
  provider: Provider;
  clients: ClientStore;
  users: UserStore;
  outbox: Outbox;
  relay: OutboxRelay;
  partitions: Partitions;
  domains: ReadonlySet<string>;
  admin: ReturnType<typeof adminRouter>;
  interactions: ReturnType<typeof interactionsRouter>;
}

export interface BuildOptions {
  config: Config;
  db: mongo.Db;
  publisher: Pick<EventPublisher, 'publish'>;
  /** Creates the revocation topic if needed; retried by the relay until it works. */
  ensureTopics?: () => Promise<void>;
  revocationsTopic: string;
  clientsTopic: string;
  logger: Logger;
  metrics: Metrics;
}

export function configuredDomains(config: Config): Set<string> {
  const domains = new Set([PRIMARY]);
  for (const raw of config.USER_STORE_DOMAINS) {
    const d = normalizeDomain(raw);
    if (!d) throw new Error(`USER_STORE_DOMAINS: invalid domain ${JSON.stringify(raw)}`);
    domains.add(d);
  }
  return domains;
}

export async function buildKeyManager(options: BuildOptions): Promise<KeyManagerParts> {
  const { config, db, logger, metrics } = options;
  const hashKey = config.TOKEN_HASH_KEY ?? DEV_HASH_KEY;
  const hasher = createHasher(hashKey);
  const keyring = parseKeyring(config.PERSISTENCE_ENCRYPTION_KEYS);
  const domains = configuredDomains(config);
  const partitions = new Partitions(config.TOKEN_PARTITIONS, domains);
  const validity = {
    application: config.APPLICATION_ACCESS_TOKEN_DEFAULT_VALIDITY_PERIOD,
    user: config.USER_ACCESS_TOKEN_DEFAULT_VALIDITY_PERIOD,
    refresh: config.REFRESH_TOKEN_VALIDITY_PERIOD,
    perDomain: parseDomainValidity(config.USER_STORE_TOKEN_VALIDITY),
  };

  const statics = [];
  if (config.GATEWAY_CLIENT_SECRET) {
    statics.push(
      staticClient(hashKey, {
        _id: config.GATEWAY_CLIENT_ID,
        secret: config.GATEWAY_CLIENT_SECRET,
        grantTypes: [],
        redirectUris: [],
        name: 'Portico gateway',
      }),
    );
  }
  // Operator-controlled, so plain http is allowed here (dev clusters); fragments never are.
  for (const uri of [...config.PORTAL_REDIRECT_URIS, ...config.PORTAL_POST_LOGOUT_REDIRECT_URIS]) {
    const url = URL.parse(uri);
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.hash) {
      throw new Error(
        `PORTAL_REDIRECT_URIS: ${JSON.stringify(uri)} must be an absolute http(s) URL without fragment`,
      );
    }
  }
  if (config.PORTAL_CLIENT_SECRET && config.PORTAL_REDIRECT_URIS.length > 0) {
    statics.push(
      staticClient(hashKey, {
        _id: config.PORTAL_CLIENT_ID,
        secret: config.PORTAL_CLIENT_SECRET,
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: config.PORTAL_REDIRECT_URIS,
        postLogoutRedirectUris: config.PORTAL_POST_LOGOUT_REDIRECT_URIS,
        name: 'Portico developer portal',
        firstParty: true,
      }),
    );
  }

  const clients = createClientStore(db, hashKey, statics, { ttlMs: config.CLIENT_CACHE_TTL_MS });
  const users = await createUserStore(db);
  const outbox = await createOutbox(db);
  await ensureAdapterIndexes(db, partitions);
  await db.collection('clients').createIndex({ applicationId: 1 });

  const jwks = await loadSigningKeys({
    configured: config.SIGNING_KEYS,
    db,
    keyring,
    issuer: config.ISSUER,
    logger,
  });

  const adapter = createAdapterFactory({
    db,
    hasher,
    keyring,
    partitionKeyrings: parsePartitionKeyrings(config.PARTITION_ENCRYPTION_KEYS, partitions.names),
    encrypt: config.ENCRYPT_PERSISTED_TOKENS,
    partitions,
    outbox,
    tokenCache: new TokenCache(config.TOKEN_RECORD_CACHE_TTL_MS),
    findClient: (id) => clients.findMetadata(id),
    currentClientId,
    grantExpiresAt: () => null,
  });

  let cookieKeys = config.COOKIE_KEYS;
  if (cookieKeys.length === 0) {
    logger.warn(
      'COOKIE_KEYS not set: using a random key (sessions do not survive a restart or span replicas)',
    );
    cookieKeys = [randomBytes(32).toString('base64url')];
  }

  const provider = createProvider({
    issuer: config.ISSUER,
    jwks,
    cookieKeys,
    users,
    partitions,
    validity,
    authorizationCodeTtl: config.AUTHORIZATION_CODE_VALIDITY_PERIOD,
    audience: config.ACCESS_TOKEN_AUDIENCE,
    gatewayClientId: config.GATEWAY_CLIENT_ID,
    secretHashKey: hashKey,
    adapter,
  });
  registerPasswordGrant(provider, { users, domains, audience: config.ACCESS_TOKEN_AUDIENCE });
  installTokenAuthFailureLimit(
    provider,
    new AuthFailureCounter(db, {
      perClientIp: config.TOKEN_AUTH_FAILURES_PER_CLIENT_IP,
      windowS: config.TOKEN_AUTH_FAILURE_WINDOW_S,
    }),
  );
  installHooks({ provider, outbox, jwks, gatewayClientId: config.GATEWAY_CLIENT_ID, logger, metrics });

  let topicsReady = options.ensureTopics === undefined;
  const publisher: Pick<EventPublisher, 'publish'> = {
    publish: async (topic, events) => {
      if (!topicsReady && options.ensureTopics) {
        await options.ensureTopics();
        topicsReady = true;
      }
      try {
        await options.publisher.publish(topic, events);
      } catch (err) {
        topicsReady = options.ensureTopics === undefined; // the topic may have gone: check again
        throw err;
      }
    },
  };
  const relay = new OutboxRelay({
    outbox,
    publisher,
    topic: options.revocationsTopic,
    clientsTopic: options.clientsTopic,
    logger,
    metrics,
    pollMs: config.OUTBOX_POLL_MS,
    batchSize: config.OUTBOX_BATCH_SIZE,
    expandAll: async () => ({ clientIds: await clients.allIds(), domains: [...domains] }),
  });

  await bootstrapUsers(config.BOOTSTRAP_USERS, users, domains, logger);

  return {
    provider,
    clients,
    users,
    outbox,
    relay,
    partitions,
    domains,
    admin: adminRouter({
      adminToken: config.KEY_MANAGER_ADMIN_TOKEN,
      clients,
      users,
      outbox,
      provider,
      domains,
      audience: config.ACCESS_TOKEN_AUDIENCE,
      verifyJwt: jwtVerifier(config.ISSUER, jwks),
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      logger,
    }),
    interactions: interactionsRouter({
      provider,
      users,
      domains,
      logger,
      loginsPerIp: config.LOGIN_RATE_LIMIT_PER_IP,
      basePath: new URL(config.ISSUER).pathname.replace(/\/$/, ''),
    }),
  };
}

/**
 * BOOTSTRAP_USERS=`PRIMARY/admin:changeit:admin|developer;PRIMARY/alice:secret123:developer`
 * creates the users that do not exist yet (demo data for `make up`); existing users are kept.
 */
export async function bootstrapUsers(
  spec: string,
  users: UserStore,
  domains: ReadonlySet<string>,
  logger: Logger,
): Promise<void> {
  for (const entry of spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [rawName = '', password = '', rawRoles = 'developer'] = entry.split(':');
    const name = parseUserName(rawName, domains);
    const roles = rawRoles.split('|').filter((r) => (ROLES as readonly string[]).includes(r));
    if (!name || password.length < 8)
      throw new Error(`BOOTSTRAP_USERS: bad entry for ${JSON.stringify(rawName)}`);
    if (await users.get(name.canonical)) continue;
    try {
      await users.create(name, { password, enabled: true, roles });
      logger.info({ user: name.canonical, roles }, 'bootstrap user created');
    } catch (err) {
      if ((err as { code?: unknown }).code !== 11000) throw err;
    }
  }
}
