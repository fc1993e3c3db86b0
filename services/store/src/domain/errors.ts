/**
 * What the domain refuses, without HTTP: the kind says what went wrong, the code which rule
 * (the closed list in libs/core error-codes.ts). http/errors.ts is the one place that turns
 * them into statuses and the common error shape.
 */
import type { ErrorCode } from '@portico/core';

interface DomainErrorOptions {
  details?: unknown;
  cause?: unknown;
}

export abstract class DomainError extends Error {
  abstract readonly kind: 'invalid_input' | 'not_found' | 'conflict' | 'unavailable';
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(message: string, code: ErrorCode, options: DomainErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** The input breaks a rule (bounds, combinations, unknown references). */
export class InvalidInput extends DomainError {
  readonly kind = 'invalid_input';
  constructor(message: string, code: ErrorCode = 'bad_request', options?: DomainErrorOptions) {
    super(message, code, options);
    this.name = 'InvalidInput';
  }
}

/** The thing does not exist, or the caller may not see it (indistinguishable on purpose). */
export class NotFound extends DomainError {
  readonly kind = 'not_found';
  constructor(message: string, code: ErrorCode = 'not_found') {
    super(message, code);
    this.name = 'NotFound';
  }
}

/** The current state refuses the change (exists already, in use, being deleted, raced). */
export class Conflict extends DomainError {
  readonly kind = 'conflict';
  constructor(message: string, code: ErrorCode = 'conflict') {
    super(message, code);
    this.name = 'Conflict';
  }
}

/** A dependency (key-manager, Kafka) cannot answer now; retrying later is safe. */
export class Unavailable extends DomainError {
  readonly kind = 'unavailable';
  readonly retryAfterSeconds: number;
  constructor(message: string, cause?: unknown, retryAfterSeconds = 5) {
    super(message, 'unavailable', { cause });
    this.name = 'Unavailable';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
