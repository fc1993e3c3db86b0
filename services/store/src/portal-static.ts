/**
 * Serves the developer portal (services/portal, a React SPA built into static files) from the
 * store's origin, so the portal talks to the REST API same-origin with the session cookie.
 * Rules:
 *   - only GET/HEAD, and never under the API's own prefixes (those keep their JSON 404s);
 *   - files from PORTAL_DIST_DIR only (no dot segments, no dotfiles, no directory listing);
 *   - hashed build assets (/assets/name-hash.ext) are cached for a year, everything else
 *     revalidates; index.html is never cached (it names the current assets);
 *   - any other path that a browser asks as HTML gets index.html (client-side routes);
 *   - every answer carries a strict CSP (no inline script or style; connect-src the store itself
 *     and the gateway's public origin, for the API page's try-it console) and nosniff;
 *   - GET /portal-config.json tells the SPA what the server knows (gateway URL, the client domain
 *     header, token validity bounds) so the same build runs in every deployment.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortalConfig } from '@portico/contracts';
import type { RequestHandler, Response } from 'express';
import type { Config } from './config.ts';
import { tokenValidityBounds } from './config.ts';

export interface PortalStaticOptions {
  /** The built portal (index.html + assets/). */
  distDir: string;
  /** Origin of the key-manager: the sign-in pages post their forms there. */
  keyManagerUrl: string;
  /** GET /portal-config.json: what the SPA shows in its curl examples and validation messages. */
  client: PortalConfig;
}

/** <repo>/services/portal/dist, seen from this file (services/store/src). */
export const DEFAULT_PORTAL_DIST_DIR = fileURLToPath(new URL('../../portal/dist', import.meta.url));

const API_PREFIXES = ['/api/', '/auth/', '/internal/', '/healthz', '/readyz', '/metrics'];
const HASHED_ASSET = /^\/assets\/[A-Za-z0-9._-]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export function portalCsp(keyManagerUrl: string, gatewayUrl: string): string {
  const km = new URL(keyManagerUrl).origin;
  // The API page's try-it console calls the gateway from the browser: its origin only, never *.
  const gateway = new URL(gatewayUrl).origin;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${gateway}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    `form-action 'self' ${km}`,
  ].join('; ');
}

export function portalStatic(options: PortalStaticOptions): RequestHandler {
  const root = resolve(options.distDir);
  const csp = portalCsp(options.keyManagerUrl, options.client.gatewayUrl);
  const clientConfig = JSON.stringify(options.client);

  const secure = (res: Response) => {
    res.setHeader('content-security-policy', csp);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
    res.setHeader('x-frame-options', 'DENY');
  };

  return async (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = req.path;
    if (API_PREFIXES.some((p) => path.startsWith(p))) return next();
    try {
      if (path === '/portal-config.json') {
        secure(res);
        res.setHeader('cache-control', 'no-cache');
        res.type('application/json').send(clientConfig);
        return;
      }
      const file = await existingFile(root, path);
      if (file) {
        secure(res);
        res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
        res.setHeader(
          'cache-control',
          HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
        res.send(await readFile(file));
        return;
      }
      // Client-side routes: a browser navigation (Accept: text/html) to anything else but a file.
      if (extname(path) === '' && req.accepts(['html', 'json']) === 'html') {
        const index = await readFile(join(root, 'index.html')).catch(() => undefined);
        if (!index) return next(); // not built: the common 404
        secure(res);
        res.setHeader('cache-control', 'no-cache');
        res.type('html').send(index);
        return;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The file under `root` that `urlPath` names, or undefined (never outside root, never a dotfile). */
async function existingFile(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split('/').some((seg) => seg.startsWith('.'))) return undefined;
  const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const full = resolve(root, rel);
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  const info = await stat(full).catch(() => undefined);
  return info?.isFile() ? full : undefined;
}

/** The options from the store's configuration (config.ts). */
export function portalOptions(config: Config): PortalStaticOptions {
  const keyManager = `${config.KEY_MANAGER_URL.replace(/\/+$/, '')}/`;
  return {
    distDir: config.PORTAL_DIST_DIR || DEFAULT_PORTAL_DIST_DIR,
    keyManagerUrl: config.KEY_MANAGER_URL,
    client: {
      gatewayUrl: config.PORTAL_GATEWAY_URL.replace(/\/+$/, ''),
      clientDomainHeader: config.PORTAL_CLIENT_DOMAIN_HEADER,
      tokenValidity: tokenValidityBounds(config),
      tokenUrl: new URL('token', keyManager).href,
      authorizeUrl: new URL('auth', keyManager).href,
      endSession: {
        url: new URL('session/end', keyManager).href,
        clientId: config.PORTAL_CLIENT_ID,
        postLogoutRedirectUri: new URL('/', config.PUBLIC_URL).href,
      },
    },
  };
}
