/**
 * The demo upstream API behind the gateway in `make up`, e2e tests and benchmarks.
 * One process serves two "backends": /production/... and /sandbox/... (the demo API's
 * production and sandbox endpoint URLs). Every answer echoes what the upstream received, so
 * tests can check what the gateway forwarded (and what it stripped). `/…/search.atom` answers
 * a small Atom feed, as the Twitter example of WSO2 API Manager's Generate Access Tokens page does.
 * `/…/status/<code>` answers that status (400-599), for trying error handling and usage counts.
 *
 * Run: node e2e/src/demo-upstream.ts [port]   (default 8085, or DEMO_UPSTREAM_PORT)
 */

import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';

export interface EchoBody {
  environment: 'production' | 'sandbox' | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function environmentOf(path: string): EchoBody['environment'] {
  if (path.startsWith('/production')) return 'production';
  if (path.startsWith('/sandbox')) return 'sandbox';
  return 'unknown';
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://upstream.invalid');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const environment = environmentOf(url.pathname);
  const status = /\/status\/([45]\d\d)$/.exec(url.pathname);
  if (status?.[1]) {
    res.writeHead(Number(status[1]), {
      'content-type': 'application/json',
      'x-upstream-environment': environment,
    });
    res.end(JSON.stringify({ status: Number(status[1]) }));
    return;
  }
  if (url.pathname.endsWith('/search.atom')) {
    const q = (url.searchParams.get('q') ?? '').replace(/[<>&"']/g, '');
    res.writeHead(200, { 'content-type': 'application/atom+xml', 'x-upstream-environment': environment });
    res.end(
      `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">` +
        `<title>Search: ${q}</title><id>urn:portico:demo:${environment}</id>` +
        `<entry><title>${environment} result for ${q}</title></entry></feed>\n`,
    );
    return;
  }
  const echo: EchoBody = {
    environment,
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body,
  };
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream-environment': environment });
  res.end(JSON.stringify(echo));
}

export async function startDemoUpstream(port = 0, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 65_000;
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

if (import.meta.main) {
  const port = Number(process.argv[2] ?? process.env['DEMO_UPSTREAM_PORT'] ?? 8085);
  const server = await startDemoUpstream(port);
  console.log(JSON.stringify({ service: 'demo-upstream', msg: 'listening', port }));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
