/** The last plugin: forwards to the resolved upstream with clean headers (proxy/forward.ts). */
import { configSchema } from '../config.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';
import type { Forward } from '../proxy/forward.ts';
import { droppedHeaders, upstreamRequestHeaders } from '../proxy/headers.ts';

const proxyConfig = configSchema.pick({
  UPSTREAM_TIMEOUT_MS: true,
  REMOVE_OAUTH_HEADERS: true,
  IDENTITY_HEADERS: true,
  BACKEND_JWT_HEADER: true,
});

/** `forward` comes from proxy/forward.ts createForwarder(UPSTREAM_TIMEOUT_MS). */
export function proxyPlugin(
  config: {
    REMOVE_OAUTH_HEADERS: boolean;
    IDENTITY_HEADERS: string[];
    BACKEND_JWT_HEADER: string;
  },
  forward: Forward,
): GatewayPlugin {
  const drop = droppedHeaders({
    removeAuthorization: config.REMOVE_OAUTH_HEADERS,
    identityHeaders: config.IDENTITY_HEADERS,
    backendJwtHeader: config.BACKEND_JWT_HEADER,
  });
  return {
    name: 'proxy',
    priority: PRIORITY.proxy,
    configSchema: proxyConfig,
    async handle(ctx) {
      const { req, res, target } = ctx;
      if (!target) throw new Error('proxy plugin needs a target');
      const headers = upstreamRequestHeaders(req.headers, drop, {
        clientIp: req.socket.remoteAddress ?? '',
        proto: 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http',
        host: req.headers.host,
        requestId: req.id,
      });
      // An open resource never forwards a credential, whatever REMOVE_OAUTH_HEADERS says.
      if (ctx.anonymous) delete headers['authorization'];
      Object.assign(headers, ctx.upstreamHeaders);
      // Recorded when the response headers arrive: the access metrics run on 'finish'.
      await forward(req, res, target, headers, (seconds) => {
        ctx.upstreamSeconds = seconds;
      });
    },
  };
}
