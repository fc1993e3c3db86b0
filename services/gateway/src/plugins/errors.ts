/** The gateway's answers of the failure policy (docs/architecture.md §6, ADR 0032), in one place. */
import type { ErrorCode } from '@portico/core';
import { AppError } from '@portico/core';

// Answers that refuse credentials are never stored by a cache (RFC 6750 §3, RFC 9111).
const NO_STORE = { 'cache-control': 'no-store' };

/**
 * 401 without an error code: the request carries no bearer credentials at all (RFC 6750 §3.1:
 * "the resource server SHOULD NOT include an error code or other error information").
 */
export function credentialsRequired(message: string): AppError {
  return new AppError(message, {
    status: 401,
    code: 'missing_token',
    headers: { 'www-authenticate': 'Bearer', ...NO_STORE },
  });
}

/** 400 invalid_request: the Authorization header says Bearer but is not `Bearer <b64token>`. */
export function malformedCredentials(message: string): AppError {
  return new AppError(message, {
    status: 400,
    code: 'malformed_token',
    headers: { 'www-authenticate': 'Bearer error="invalid_request"', ...NO_STORE },
  });
}

/** 401 for unknown / expired / revoked / otherwise invalid tokens. */
export function invalidToken(message: string, code: ErrorCode): AppError {
  return new AppError(message, {
    status: 401,
    code,
    headers: { 'www-authenticate': 'Bearer error="invalid_token"', ...NO_STORE },
  });
}

/** 401 with a DPoP challenge: the proof is missing, invalid, stale or replayed (RFC 9449 §7.1). */
export function invalidDpopProof(message: string): AppError {
  return new AppError(message, {
    status: 401,
    code: 'invalid_dpop_proof',
    headers: { 'www-authenticate': `DPoP error="invalid_dpop_proof", algs="ES256 PS256 EdDSA"`, ...NO_STORE },
  });
}

/** 403 with a machine code: valid token, but not allowed here. */
export function denied(message: string, code: ErrorCode): AppError {
  return new AppError(message, { status: 403, code, headers: { ...NO_STORE } });
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
