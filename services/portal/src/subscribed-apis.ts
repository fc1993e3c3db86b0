/** The APIs an application is subscribed to (the key tab's curl panel and the usage tab). */
import { api, enc } from './api.ts';
import type { Api, Items, Subscription } from './types.ts';
import type { Resource } from './ui.tsx';
import { useResource } from './ui.tsx';

export function useSubscribedApis(applicationId: string): Resource<Api[]> {
  return useResource(async () => {
    const [subs, apis] = await Promise.all([
      api.get<Items<Subscription>>(`/api/v1/subscriptions?applicationId=${enc(applicationId)}`),
      api.get<Items<Api>>('/api/v1/apis'),
    ]);
    const ids = new Set(subs.items.map((s) => s.apiId));
    return apis.items.filter((a) => ids.has(a.id));
  }, [applicationId]);
}
