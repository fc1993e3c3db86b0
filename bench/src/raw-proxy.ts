/**
 * The baseline a gateway is compared with: the least a Node reverse proxy can do (keep-alive
 * agent, stream through, no checks). Run: node bench/src/raw-proxy.ts <port> <upstream-url>
 */
import { Agent, createServer, request } from 'node:http';

const port = Number(process.argv[2] ?? 9101);
const upstream = new URL(process.argv[3] ?? 'http://127.0.0.1:8085');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

createServer((req, res) => {
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      agent,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
}).listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ service: 'raw-proxy', port }));
});
