/**
 * What the request path hands to usage counting when a response has finished: the application,
 * key type, API, status and total latency, for answers of the gateway itself (401, 403, 429,
 * 5xx) as well as upstream answers.
 */
import type { GatewayContext } from '../pipeline/plugin.ts';
import type { ApplicationKey } from '../readmodel/model.ts';
import type { UsageReporter } from './reporter.ts';

/** Called once per finished response with its status and total seconds at the gateway. */
export type UsageHook = (ctx: GatewayContext, status: number, seconds: number) => void;

export function usageHook(
  reporter: Pick<UsageReporter, 'record'>,
  keyForClient: (clientId: string) => ApplicationKey | undefined,
): UsageHook {
  return (ctx, status, seconds) => {
    const clientId = ctx.facts?.clientId ?? null;
    // Refused by the access checks (403): the key is not on the context yet, the read model knows it.
    const key = ctx.key ?? (clientId !== null ? keyForClient(clientId) : undefined);
    reporter.record({
      applicationId: key?.application.applicationId ?? null,
      keyType: key?.keyType ?? ctx.facts?.keyType ?? null,
      apiId: ctx.api?.apiId ?? null,
      clientId,
      status,
      latencyMs: seconds * 1000,
      at: Date.now(),
    });
  };
}
