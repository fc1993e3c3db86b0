/**
 * Streams the request to the upstream with node:http(s) and the response back.
 * - connection refused / reset / DNS failure before the response: 502 `bad_gateway`;
 * - no response headers within UPSTREAM_TIMEOUT_MS (or an idle socket for that long): 504
 *   `gateway_timeout`; bodies say nothing about the upstream;
 * - a failure after the response has started can only cut the connection;
 * - a client that goes away aborts the upstream request.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { AppError } from '@portico/core';
import { downstreamResponseHeaders } from './headers.ts';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 512 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 512 }),
};

export interface ForwardResult {
  /** Seconds from sending to the upstream's response headers. */
  upstreamSeconds: number;
}

export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  headers: OutgoingHttpHeaders,
  timeoutMs: number,
  onResponse: (upstreamSeconds: number) => void = () => {},
): Promise<ForwardResult> {
  return new Promise((resolve, reject) => {
    const isHttps = target.protocol === 'https:';
    const started = process.hrtime.bigint();
    let settled = false;
    const fail = (err: AppError) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    // `headers` is this request's own object (proxy/headers.ts builds it per request).
    headers['host'] = target.host;
    // Plain options rather than the URL: node would convert the URL on every request.
    const hostname = target.hostname;
    const upstream = (isHttps ? https : http).request({
      protocol: target.protocol,
      hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: req.method,
      headers,
      agent: agents[isHttps ? 'https:' : 'http:'],
      timeout: timeoutMs,
    });
    upstream.on('timeout', () => {
      upstream.destroy(new Error('upstream timeout'));
      fail(
        new AppError('The upstream service did not answer in time', { status: 504, code: 'gateway_timeout' }),
      );
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        fail(
          new AppError('The upstream service could not be reached', {
            status: 502,
            code: 'bad_gateway',
            cause: err,
          }),
        );
      } else {
        res.destroy();
      }
    });
    upstream.on('response', (upstreamRes) => {
      const upstreamSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      onResponse(upstreamSeconds);
      res.writeHead(upstreamRes.statusCode ?? 502, downstreamResponseHeaders(upstreamRes.headers));
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
      upstreamRes.on('end', () => {
        if (!settled) {
          settled = true;
          resolve({ upstreamSeconds });
        }
      });
    });
    res.on('close', () => {
      if (res.writableFinished) return;
      upstream.destroy();
      if (!settled) {
        settled = true;
        resolve({ upstreamSeconds: Number(process.hrtime.bigint() - started) / 1e9 });
      }
    });
    // A request without a body (no Content-Length, no Transfer-Encoding: RFC 9112 §6.3) is sent
    // at once, without a pipe and the stream ticks it costs.
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)
      upstream.end();
    else req.pipe(upstream);
  });
}
