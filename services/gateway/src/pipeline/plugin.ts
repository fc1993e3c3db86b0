/**
 * Gateway features are plugins of one fixed shape: a name, an explicit priority (lower runs
 * first), the documented part of the gateway config it reads (a zod schema picked from
 * config.ts), and a handler. A handler either enriches the request context, throws an
 * AppError (rendered by the one error renderer), or answers and sets `ctx.done` (the proxy,
 * a CORS preflight), which ends the chain.
 */
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { TokenFacts } from '../auth/facts.ts';
import type { Api, ApplicationKey, Subscription } from '../readmodel/model.ts';

export interface GatewayContext {
  req: Request;
  res: Response;
  /** Set by routing. */
  api?: Api;
  path?: string;
  /** Path after the API context, still encoded. */
  rest?: string;
  query?: string;
  /** Set by authentication: the resource needs no token (auth type None), none was checked. */
  anonymous?: boolean;
  tokenHash?: string;
  facts?: TokenFacts;
  /** Set by access checks. */
  key?: ApplicationKey;
  subscription?: Subscription;
  target?: URL;
  /** Extra headers for the upstream (backend JWT). */
  upstreamHeaders: Record<string, string>;
  /** Set by the proxy. */
  upstreamSeconds?: number;
  /** Set by a plugin that has answered: the chain stops. */
  done?: boolean;
}

export interface GatewayPlugin {
  name: string;
  priority: number;
  configSchema: z.ZodType;
  handle(ctx: GatewayContext): Promise<void> | void;
}

export const PRIORITY = {
  route: 100,
  cors: 150,
  authenticate: 200,
  access: 300,
  rateLimit: 400,
  outbound: 500,
  proxy: 1000,
} as const;

export function orderPlugins(plugins: GatewayPlugin[]): GatewayPlugin[] {
  const sorted = [...plugins].sort((a, b) => a.priority - b.priority);
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i]?.priority === sorted[i - 1]?.priority) {
      throw new Error(
        `plugins ${sorted[i - 1]?.name} and ${sorted[i]?.name} share priority ${sorted[i]?.priority}`,
      );
    }
  }
  return sorted;
}
