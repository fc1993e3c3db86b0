/**
 * Baseline `http-proxy-middleware`: express 5 with `createProxyMiddleware` in front of the
 * upstream, the usual way to write a proxy on express (http-proxy on node:http underneath), with
 * a keep-alive agent of the gateway's pool size. No checks.
 *
 *   node bench/src/hpm-proxy.ts <port> <upstream-url>
 */
import { Agent } from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

const port = Number(process.argv[2] ?? 9103);
const upstream = process.argv[3] ?? 'http://127.0.0.1:8085';
const app = express();
app.disable('x-powered-by');
app.use(
  createProxyMiddleware({
    target: upstream,
    changeOrigin: true,
    agent: new Agent({ keepAlive: true, maxSockets: 512 }),
  }),
);
app.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ service: 'http-proxy-middleware', port }));
});
