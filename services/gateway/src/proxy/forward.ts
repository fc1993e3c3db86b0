/**
 * Streams the request to the upstream with undici and the response back.
 * - connection refused / reset / DNS failure before the response: 502 `bad_gateway`;
 * - no connection or no response headers within UPSTREAM_TIMEOUT_MS: 504 `gateway_timeout`;
 *   bodies say nothing about the upstream;
 * - a failure after the response has started (an idle body for UPSTREAM_TIMEOUT_MS, a dropped
 *   connection) can only cut the client's connection;
 * - a client that goes away aborts the upstream request.
 * undici rather than node:http: a minimal proxy on it served 15-17k req/s where one on
 * http.request served 10.6-12k (docs/adr/0030), and forwarding is the gateway's largest cost.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { AppError } from '@portico/core';
import { Agent } from 'undici';
import { downstreamResponseHeaders } from './headers.ts';

/** undici's codes for "nothing arrived in time"; every other failure before a response is 502. */
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface ForwardResult {
  /** Seconds from sending to the upstream's response headers. */
  upstreamSeconds: number;
}

export type Forward = (
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: OutgoingHttpHeaders,
  onResponse?: (upstreamSeconds: number) => void,
) => Promise<ForwardResult>;

/** One connection pool per upstream origin, kept alive between requests. */
export function createForwarder(timeoutMs: number): { forward: Forward; close(): Promise<void> } {
  const agent = new Agent({ connections: 512, pipelining: 1, connect: { timeout: timeoutMs } });
  const forward: Forward = (req, res, target, headers, onResponse = () => {}) =>
    send(agent, timeoutMs, req, res, target, headers, onResponse);
  return { forward, close: () => agent.close() };
}

function send(
  agent: Agent,
  timeoutMs: number,
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: OutgoingHttpHeaders,
  onResponse: (upstreamSeconds: number) => void,
): Promise<ForwardResult> {
  const started = process.hrtime.bigint();
  let upstreamSeconds = 0;
  const aborter = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) aborter.abort();
  });
  // A request without a body (no Content-Length, no Transfer-Encoding: RFC 9112 §6.3) is sent
  // without one; otherwise the client's body streams through.
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  return agent
    .stream(
      {
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: req.method ?? 'GET',
        headers: headers as Record<string, string | string[]>,
        body: hasBody ? req : null,
        signal: aborter.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      ({ statusCode, headers: upstreamHeaders }) => {
        upstreamSeconds = Number(process.hrtime.bigint() - started) / 1e9;
        onResponse(upstreamSeconds);
        res.writeHead(statusCode, downstreamResponseHeaders(upstreamHeaders));
        return res;
      },
    )
    .then(
      () => ({ upstreamSeconds }),
      (err: NodeJS.ErrnoException) => {
        if (aborter.signal.aborted) return { upstreamSeconds }; // the client went away
        if (res.headersSent) {
          res.destroy();
          return { upstreamSeconds };
        }
        if (err.code !== undefined && TIMEOUTS.has(err.code))
          throw new AppError('The upstream service did not answer in time', {
            status: 504,
            code: 'gateway_timeout',
            cause: err,
          });
        throw new AppError('The upstream service could not be reached', {
          status: 502,
          code: 'bad_gateway',
          cause: err,
        });
      },
    );
}
