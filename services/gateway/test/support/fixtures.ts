/** Read-model fixtures: one API with both endpoints, tiers, an application with two keys. */
import type { ReadModelSnapshot } from '@portico/events';

export interface FixtureOptions {
  upstreamUrl: string;
  prodClientId?: string;
  sandboxClientId?: string;
  allowedDomains?: string[];
  tierRequests?: number | null;
  tierUnitSeconds?: number;
}

export function snapshotFixture(o: FixtureOptions): ReadModelSnapshot {
  const prod = o.prodClientId ?? 'client-prod';
  const sandbox = o.sandboxClientId ?? 'client-sandbox';
  const api = (apiId: string, context: string, extra: Partial<ReadModelSnapshot['apis'][number]> = {}) => ({
    revision: 1,
    apiId,
    name: apiId,
    version: '1.0.0',
    context,
    productionUrl: `${o.upstreamUrl}/prod`,
    sandboxUrl: `${o.upstreamUrl}/sandbox`,
    scopes: [],
    lifecycle: 'PUBLISHED' as const,
    ...extra,
  });
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    position: {},
    apis: [
      api('api_twitter', '/twitter/1.0.0'),
      api('api_noSandbox', '/nosandbox/1.0.0', { sandboxUrl: null }),
      api('api_blocked', '/blocked/1.0.0', { lifecycle: 'BLOCKED' }),
      api('api_retired', '/retired/1.0.0', { lifecycle: 'RETIRED' }),
      api('api_created', '/created/1.0.0', { lifecycle: 'CREATED' }),
      api('api_scoped', '/scoped/1.0.0', { scopes: ['read:tweets'] }),
      api('api_unsubscribed', '/unsubscribed/1.0.0'),
      api('api_refused', '/refused/1.0.0', { productionUrl: 'http://127.0.0.1:1/down' }),
    ],
    tiers: [
      {
        revision: 1,
        name: 'Gold',
        requests: o.tierRequests === undefined ? 1000 : o.tierRequests,
        unitSeconds: o.tierUnitSeconds ?? 60,
        burst: null,
      },
      { revision: 1, name: 'Unlimited', requests: null, unitSeconds: 60, burst: null },
    ],
    applications: [
      {
        revision: 1,
        applicationId: 'app_1',
        name: 'MyApp',
        owner: 'PRIMARY/alice',
        tier: null,
        keys: [
          { keyType: 'PRODUCTION', clientId: prod, allowedDomains: o.allowedDomains ?? [] },
          { keyType: 'SANDBOX', clientId: sandbox, allowedDomains: [] },
        ],
      },
    ],
    subscriptions: [
      'api_twitter',
      'api_noSandbox',
      'api_blocked',
      'api_retired',
      'api_scoped',
      'api_refused',
    ].map((apiId) => ({
      revision: 1,
      subscriptionId: `sub_${apiId}`,
      applicationId: 'app_1',
      apiId,
      tier: 'Gold',
      status: 'ACTIVE' as const,
    })),
  };
}

/** Introspection claims for an application token of `clientId`. */
export function appTokenClaims(
  clientId: string,
  keyType: 'PRODUCTION' | 'SANDBOX',
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Date.now();
  return {
    client_id: clientId,
    sub: clientId,
    scope: 'default',
    key_type: keyType,
    token_type: 'application',
    iat: Math.floor(now / 1000),
    iat_ms: now,
    exp: Math.floor(now / 1000) + 3600,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    grant_id: `grant-${Math.random().toString(36).slice(2)}`,
    ...extra,
  };
}
