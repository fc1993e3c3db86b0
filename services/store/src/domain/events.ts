/** Entity → event data, shared by the outbox (events) and the read model (snapshot). */
import type { KeyType, PorticoEvent, TopicKey } from '@portico/events';
import { makeEvent } from '@portico/events';
import type { ApiDoc, ApplicationDoc, SubscriptionDoc, TierDoc } from './models.ts';

const SOURCE = 'store';
type Emitted = Array<[TopicKey, PorticoEvent]>;

export function apiData(a: ApiDoc) {
  return {
    revision: a.revision,
    apiId: a._id,
    name: a.name,
    version: a.version,
    context: a.context,
    productionUrl: a.productionUrl,
    sandboxUrl: a.sandboxUrl,
    scopes: a.scopes,
    lifecycle: a.lifecycle,
    openResources: (a.openResources ?? []).map((r) => ({ method: r.method, path: r.path })),
  };
}

export function tierData(t: TierDoc) {
  return {
    revision: t.revision,
    name: t._id,
    requests: t.requests,
    unitSeconds: t.unitSeconds,
    burst: t.burst,
  };
}

export function applicationData(a: ApplicationDoc) {
  const keys = [];
  for (const keyType of ['PRODUCTION', 'SANDBOX'] as KeyType[]) {
    const k = a.keys[keyType];
    if (k?.state === 'ACTIVE') keys.push({ keyType, clientId: k.clientId, allowedDomains: k.allowedDomains });
  }
  return { revision: a.revision, applicationId: a._id, name: a.name, owner: a.owner, tier: a.tier, keys };
}

export function subscriptionData(s: SubscriptionDoc) {
  return {
    revision: s.revision,
    subscriptionId: s._id,
    applicationId: s.applicationId,
    apiId: s.apiId,
    tier: s.tier,
    status: s.status,
  };
}

export const apiEvents = (a: ApiDoc): Emitted =>
  a.deleted
    ? [['apis', makeEvent('api.deleted', { revision: a.revision, apiId: a._id }, SOURCE)]]
    : [['apis', makeEvent('api.upserted', apiData(a), SOURCE)]];

export const tierEvents = (t: TierDoc): Emitted =>
  t.deleted
    ? [['apis', makeEvent('tier.deleted', { revision: t.revision, name: t._id }, SOURCE)]]
    : [['apis', makeEvent('tier.upserted', tierData(t), SOURCE)]];

export const applicationEvents = (a: ApplicationDoc): Emitted =>
  a.deleted
    ? [
        [
          'applications',
          makeEvent('application.deleted', { revision: a.revision, applicationId: a._id }, SOURCE),
        ],
      ]
    : [['applications', makeEvent('application.upserted', applicationData(a), SOURCE)]];

export const subscriptionEvents = (s: SubscriptionDoc): Emitted =>
  s.deleted
    ? [
        [
          'subscriptions',
          makeEvent(
            'subscription.deleted',
            { revision: s.revision, subscriptionId: s._id, applicationId: s.applicationId, apiId: s.apiId },
            SOURCE,
          ),
        ],
      ]
    : [['subscriptions', makeEvent('subscription.upserted', subscriptionData(s), SOURCE)]];
