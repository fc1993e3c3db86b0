/**
 * The icon of the server-rendered pages (login, consent, logout): browsers ask for /favicon.ico
 * whatever the page links, and a 404 there was all the key-manager had. Same icon as the portal.
 */
import type { Router } from 'express';
import express from 'express';
import { FAVICON_SVG } from './pages.ts';

export function pageAssetsRouter(): Router {
  const router = express.Router();
  router.get(['/favicon.ico', '/assets/favicon.svg'], (_req, res) => {
    res.type('image/svg+xml').setHeader('cache-control', 'public, max-age=86400');
    res.setHeader('x-content-type-options', 'nosniff');
    res.send(FAVICON_SVG);
  });
  return router;
}
