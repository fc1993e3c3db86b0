/**
 * CORS for browser callers (the callers allowed domains are about). A preflight carries no
 * token, so it grants nothing by itself: for a routable API it answers 204 allowing the asking
 * origin, the requested method and the requested headers; the actual request is then
 * authenticated and domain-checked like any other. Actual responses (errors included) carry
 * `Access-Control-Allow-Origin: <origin>`, `Vary: Origin` and `Access-Control-Expose-Headers: *`
 * (the caller's script may read the answer's headers, as the portal's try-it console shows them;
 * the wildcard is valid because no credentials mode is used); an upstream that sets its own CORS
 * headers wins. No credentials mode: tokens travel in Authorization, never in cookies.
 */
import { configSchema } from '../config.ts';
import { hostOf } from '../pipeline/domain.ts';
import type { GatewayPlugin } from '../pipeline/plugin.ts';
import { PRIORITY } from '../pipeline/plugin.ts';

const corsConfig = configSchema.pick({ CORS_ENABLED: true, CORS_MAX_AGE_SECONDS: true });
const METHOD = /^[A-Z]{1,16}$/;
const HEADER_LIST = /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$/;

export function corsPlugin(config: { CORS_ENABLED: boolean; CORS_MAX_AGE_SECONDS: number }): GatewayPlugin {
  return {
    name: 'cors',
    priority: PRIORITY.cors,
    configSchema: corsConfig,
    handle(ctx) {
      if (!config.CORS_ENABLED) return;
      const origin = ctx.req.headers.origin;
      // Only well-formed http(s) origins are echoed; `null` and garbage get no CORS headers.
      if (!origin?.includes('://') || !hostOf(origin)) return;
      ctx.res.setHeader('access-control-allow-origin', origin);
      ctx.res.setHeader('vary', 'Origin');
      ctx.res.setHeader('access-control-expose-headers', '*');
      const method = ctx.req.headers['access-control-request-method'];
      if (ctx.req.method !== 'OPTIONS' || typeof method !== 'string') return;
      if (!METHOD.test(method)) return;
      const headers = ctx.req.headers['access-control-request-headers'];
      ctx.res.setHeader('access-control-allow-methods', method);
      if (typeof headers === 'string' && HEADER_LIST.test(headers))
        ctx.res.setHeader('access-control-allow-headers', headers);
      ctx.res.setHeader('access-control-max-age', String(config.CORS_MAX_AGE_SECONDS));
      ctx.res.setHeader('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      ctx.res.status(204).end();
      ctx.done = true;
    },
  };
}
