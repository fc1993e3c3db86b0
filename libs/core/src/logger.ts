/**
 * JSON logs (pino). Credentials never reach a log line: the redaction list covers headers,
 * cookies and the usual token/secret fields at any of the first levels of nesting.
 */

import type { DestinationStream, Logger } from 'pino';
import { pino } from 'pino';

export type { Logger } from 'pino';

const SENSITIVE_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'client_secret',
  'clientSecret',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'code_verifier',
  'assertion',
  'x-jwt-assertion',
  'apiKey',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SENSITIVE_FIELDS) {
    const f = /^[a-zA-Z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
    const dot = f.startsWith('[') ? '' : '.';
    paths.push(f.startsWith('[') ? `*${f}` : f, `*${dot}${f}`, `*.*${dot}${f}`);
    paths.push(`req.headers${dot}${f}`, `res.headers${dot}${f}`);
  }
  // An OAuth authorization code is a credential, but `code` is also every error's code: redact
  // it only where request data would carry it.
  for (const holder of ['params', 'body', 'query', '*.params', '*.body', '*.query'])
    paths.push(`${holder}.code`);
  return paths;
}

export interface LoggerOptions {
  name: string;
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: redactPaths(), censor: '[redacted]' },
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
