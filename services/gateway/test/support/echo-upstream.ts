/**
 * A real HTTP upstream for tests: answers every request with what it received
 * ({method, url, headers, body}); `…/slow…` never answers (timeout tests), `…/delay…` answers
 * after 500 ms (drain tests), `…/status-NNN…` answers with that status, two cookies and a
 * hop-by-hop header, `…/cut…` sends 10 of the 100 bytes it announces and drops the connection.
 * `abandoned` counts requests whose client went away before the answer.
 */

import { once } from 'node:events';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EchoUpstream {
  url: string;
  port: number;
  requests: EchoRequest[];
  abandoned(): number;
  close(): Promise<void>;
}

export async function startEchoUpstream(): Promise<EchoUpstream> {
  const requests: EchoRequest[] = [];
  let abandoned = 0;
  const server: Server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) abandoned += 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      if (seen.url.includes('/slow')) return; // never answers
      if (seen.url.includes('/cut')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('0123456789');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      const status = /\/status-(\d{3})/.exec(seen.url)?.[1];
      if (status) {
        res.writeHead(Number(status), {
          'content-type': 'application/json',
          'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
          connection: 'x-hop',
          'x-hop': 'must not cross',
        });
        res.end(JSON.stringify(seen));
        return;
      }
      const delay = seen.url.includes('/delay') ? 500 : 0;
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-upstream', 'echo');
        res.end(JSON.stringify(seen));
      }, delay);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    abandoned: () => abandoned,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a request with the path exactly as given (fetch would normalize dot segments). */
export function rawRequest(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
