/** The gateway's plugin chain, in priority order. */
import type { Logger } from '@portico/core';
import type { ProofReplayStore } from '../auth/dpop.ts';
import { DpopVerifier } from '../auth/dpop.ts';
import type { TokenValidator } from '../auth/validator.ts';
import type { Config } from '../config.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { orderPlugins } from '../pipeline/plugin.ts';
import type { BackendJwtSigner } from '../proxy/backend-jwt.ts';
import type { Forward } from '../proxy/forward.ts';
import type { RateLimitStore } from '../ratelimit/limiter.ts';
import type { ReadModel } from '../readmodel/model.ts';
import { accessPlugin } from './access.ts';
import { authenticatePlugin } from './authenticate.ts';
import { corsPlugin } from './cors.ts';
import { outboundPlugin } from './outbound.ts';
import { proxyPlugin } from './proxy.ts';
import { rateLimitPlugin } from './rate-limit.ts';
import { routePlugin } from './route.ts';

export interface PluginDeps {
  model: ReadModel;
  validator: TokenValidator;
  revocationsLoaded: () => boolean;
  rateLimits: RateLimitStore;
  /** Where DPoP proof ids are remembered, shared by every replica (auth/dpop-replay.ts). */
  proofReplay: ProofReplayStore;
  signer: BackendJwtSigner;
  /** Sends to the upstream (proxy/forward.ts createForwarder). */
  forward: Forward;
  metrics: GatewayMetrics;
  logger: Logger;
}

export function gatewayPlugins(config: Config, deps: PluginDeps): GatewayPlugin[] {
  return orderPlugins([
    routePlugin(deps.model),
    corsPlugin(config),
    authenticatePlugin(deps.validator, deps.revocationsLoaded, {
      verifier: new DpopVerifier({
        replay: deps.proofReplay,
        maxAgeSeconds: config.DPOP_PROOF_MAX_AGE_SECONDS,
      }),
      publicUrl: config.PUBLIC_URL || undefined,
    }),
    accessPlugin(deps.model, config),
    rateLimitPlugin(deps.model, deps.rateLimits, config, deps.metrics, deps.logger),
    outboundPlugin(deps.signer, config),
    proxyPlugin(config, deps.forward),
  ]);
}
