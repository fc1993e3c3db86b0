/** The gateway's answers of the failure policy (docs/architecture.md §6, ADR 0032), in one place. */
import type { ErrorCode } from '@portico/core';
import { AppError } from '@portico/core';

/** 401 for no / malformed / unknown / expired / revoked tokens. */
export function invalidToken(message: string, code: ErrorCode): AppError {
  return new AppError(message, {
    status: 401,
    code,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });
}

/** 403 with a machine code: valid token, but not allowed here. */
export function denied(message: string, code: ErrorCode): AppError {
  return new AppError(message, { status: 403, code });
}

/** 503 with Retry-After: the gateway cannot verify right now. Never 200, never 401. */
export function cannotVerify(message: string, retryAfterSeconds: number, cause?: unknown): AppError {
  return new AppError(message, {
    status: 503,
    code: 'verification_unavailable',
    expose: true,
    cause,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
