/** Request-body parsing and the no-store rule for API answers. */
import { AppError, jsonBody } from '@portico/core';
import type { RequestHandler } from 'express';
import express from 'express';
import { parseYaml } from '../catalog-file.ts';

const JSON_TYPES = ['application/json', 'application/*+json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/**
 * A body must be JSON (or YAML where a route says so): anything else with a body is 415.
 * Size limits apply before parsing (413); parse failures are 400 (libs/core renders them).
 */
export function bodyParsers(limit: number): RequestHandler[] {
  const yamlText = express.text({ type: YAML_TYPES, limit });
  return [
    (req, _res, next) => {
      const hasBody =
        req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
      if (!hasBody) return next();
      if (req.is([...JSON_TYPES, ...YAML_TYPES])) return next();
      next(
        new AppError('Send the body as application/json', { status: 415, code: 'unsupported_media_type' }),
      );
    },
    jsonBody(limit),
    (req, res, next) => {
      if (!req.is(YAML_TYPES)) return next();
      if (!req.path.endsWith('/admin/catalog')) {
        return next(
          new AppError('Send the body as application/json', { status: 415, code: 'unsupported_media_type' }),
        );
      }
      yamlText(req, res, (err?: unknown) => {
        if (err) return next(err);
        try {
          if (typeof req.body === 'string') req.body = parseYaml(req.body, 'request body');
          next();
        } catch (e) {
          next(e);
        }
      });
    },
  ];
}

/**
 * API and sign-in answers are per user: never cached by the browser or a proxy, and never
 * content-sniffed into something executable (a JSON error echoing input stays JSON).
 */
export function noStoreOnApi(): RequestHandler {
  return (req, res, next) => {
    if (req.path.startsWith('/api/') || req.path.startsWith('/auth/')) {
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-content-type-options', 'nosniff');
    }
    next();
  };
}
