/** Documents → API resources (the shapes of the response schemas in http/routes/). Internal fields never leak. */
import type { KeyType } from '@portico/events';
import type { ApiDoc, ApplicationDoc, KeyState, SubscriptionDoc, TierDoc } from '../domain/models.ts';

const iso = (d: Date | string) => new Date(d).toISOString();

export function presentApi(a: ApiDoc) {
  return {
    id: a._id,
    name: a.name,
    version: a.version,
    context: a.context,
    description: a.description,
    productionUrl: a.productionUrl,
    sandboxUrl: a.sandboxUrl,
    scopes: a.scopes,
    openResources: (a.openResources ?? []).map((r) => ({ method: r.method, path: r.path })),
    visibility: a.visibility,
    lifecycle: a.lifecycle,
    hasDefinition: a.definition !== null && a.definition !== undefined,
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

export function presentTier(t: TierDoc) {
  return {
    name: t._id,
    description: t.description,
    requests: t.requests,
    unitSeconds: t.unitSeconds,
    burst: t.burst,
    builtIn: t.builtIn,
  };
}

export function presentKey(keyType: KeyType, k: Extract<KeyState, { state: 'ACTIVE' }>) {
  return {
    keyType,
    consumerKey: k.clientId,
    allowedDomains: k.allowedDomains,
    validitySeconds: k.validitySeconds,
    tokenFormat: k.tokenFormat,
    grantTypes: k.grantTypes,
    callbackUrls: k.callbackUrls,
    createdAt: iso(k.createdAt),
  };
}

export function presentApplication(a: ApplicationDoc) {
  const keys = (['PRODUCTION', 'SANDBOX'] as KeyType[]).flatMap((kt) => {
    const k = a.keys[kt];
    return k?.state === 'ACTIVE' ? [presentKey(kt, k)] : [];
  });
  return {
    id: a._id,
    name: a.name,
    description: a.description,
    owner: a.owner,
    tier: a.tier,
    status: a.deleting ? ('DELETING' as const) : ('ACTIVE' as const),
    keys,
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

export function presentSubscription(s: SubscriptionDoc) {
  return {
    id: s._id,
    applicationId: s.applicationId,
    apiId: s.apiId,
    tier: s.tier,
    status: s.status,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}
