import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppError, toAppError } from '@portico/core';
import { Conflict, InvalidInput, NotFound, Unavailable } from '../src/domain/errors.ts';
import { httpError } from '../src/http/errors.ts';

const SRC = new URL('../src/', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('store module boundaries', () => {
  it('keeps the domain free of HTTP: no http/ imports, no express, no status-choosing helpers', () => {
    for (const file of sources(join(SRC, 'domain'))) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /from '\.\.\/http\//, `${file} imports from http/`);
      assert.doesNotMatch(text, /from 'express'/, `${file} imports express`);
      const core = [...text.matchAll(/import \{([^}]*)\} from '@portico\/core'/g)].flatMap((m) =>
        m[1]!.split(',').map((s) => s.trim()),
      );
      for (const name of core) {
        assert.ok(
          !/^(AppError|badRequest|unauthorized|forbidden|notFound|conflict|unavailable)$/.test(name),
          `${file} uses ${name} from @portico/core (throw a domain error instead)`,
        );
      }
    }
  });

  it('has no source file over 400 lines', () => {
    for (const file of sources(SRC)) {
      const lines = readFileSync(file, 'utf8').split('\n').length;
      assert.ok(lines <= 400, `${file}: ${lines} lines`);
    }
  });
});

describe('domain errors to the common error shape (one mapping)', () => {
  it('maps each kind to its status and keeps code, message and details', () => {
    const cases = [
      [new InvalidInput('bad', 'invalid_validity', { details: ['x'] }), 400],
      [new NotFound('gone', 'no_keys'), 404],
      [new Conflict('taken', 'api_exists'), 409],
    ] as const;
    for (const [err, status] of cases) {
      const http = toAppError(httpError(err));
      assert.equal(http.status, status);
      assert.equal(http.code, err.code);
      assert.equal(http.message, err.message);
      assert.deepEqual(http.details, err.details);
    }
  });

  it('makes a dependency outage a 503 with Retry-After, never a 500', () => {
    const http = toAppError(httpError(new Unavailable('Kafka is down', new Error('ECONNREFUSED'), 7)));
    assert.equal(http.status, 503);
    assert.equal(http.code, 'unavailable');
    assert.equal(http.headers['retry-after'], '7');
  });

  it('leaves anything else to the shared renderer (an unknown error is a 500 that hides its message)', () => {
    const raw = new Error('secret detail');
    assert.equal(httpError(raw), raw);
    const http = toAppError(httpError(raw));
    assert.ok(http instanceof AppError);
    assert.equal(http.status, 500);
    assert.equal(http.expose, false);
  });
});
