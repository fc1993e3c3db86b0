/** The one mapping from domain errors to the common error shape (libs/core renders AppError). */
import { AppError, unavailable } from '@portico/core';
import { DomainError, Unavailable } from '../domain/errors.ts';

const STATUS = { invalid_input: 400, not_found: 404, conflict: 409 } as const;

/** A DomainError as an AppError; anything else unchanged (libs/core's toAppError handles it). */
export function httpError(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  if (err instanceof Unavailable) return unavailable(err.message, err.retryAfterSeconds, err.cause);
  const status = STATUS[err.kind as keyof typeof STATUS];
  return new AppError(err.message, { status, code: err.code, details: err.details });
}
