/**
 * Baseline `raw-undici-proxy`: the least a Node reverse proxy built on undici can do, with the
 * gateway's own pool settings (services/gateway/src/proxy/forward.ts: one Agent, 512 keep-alive
 * connections, no pipelining) and the same `agent.stream` into the response. Hop-by-hop headers
 * are dropped both ways (undici refuses some of them); nothing else is checked.
 *
 *   node bench/src/undici-proxy.ts <port> <upstream-url>
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import { Agent } from 'undici';

const port = Number(process.argv[2] ?? 9102);
const upstream = new URL(process.argv[3] ?? 'http://127.0.0.1:8085');
const timeoutMs = 30_000; // the gateway's UPSTREAM_TIMEOUT_MS default
const agent = new Agent({ connections: 512, pipelining: 1, connect: { timeout: timeoutMs } });
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function without(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

createServer((req, res) => {
  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  agent
    .stream(
      {
        origin: upstream.origin,
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers: without(req.headers),
        body: hasBody ? req : null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, without(headers as IncomingHttpHeaders));
        return res;
      },
    )
    .catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
}).listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ service: 'raw-undici-proxy', port }));
});
