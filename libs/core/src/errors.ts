import type { ErrorCode } from './error-codes.ts';

/**
 * One error type for every non-OAuth API. It carries the HTTP status, a machine code from the
 * closed list (error-codes.ts),
 * whether its message may be shown to the caller, and the cause. It is rendered in exactly one
 * place (http.ts `errorHandler`); 5xx messages are always replaced by a generic one.
 */
export interface AppErrorOptions {
  status: number;
  code: ErrorCode;
  /** Whether `message` may be shown to the caller. Defaults to true below 500. */
  expose?: boolean;
  cause?: unknown;
  details?: unknown;
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly expose: boolean;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(message: string, options: AppErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = options.status;
    this.code = options.code;
    this.expose = options.expose ?? options.status < 500;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (message: string, details?: unknown, code: ErrorCode = 'bad_request'): AppError =>
  new AppError(message, { status: 400, code, details });
export const unauthorized = (
  message = 'Authentication required',
  code: ErrorCode = 'unauthorized',
): AppError => new AppError(message, { status: 401, code });
export const forbidden = (message = 'Forbidden', code: ErrorCode = 'forbidden'): AppError =>
  new AppError(message, { status: 403, code });
export const notFound = (message = 'Not found', code: ErrorCode = 'not_found'): AppError =>
  new AppError(message, { status: 404, code });
export const conflict = (message: string, code: ErrorCode = 'conflict'): AppError =>
  new AppError(message, { status: 409, code });
export const unavailable = (
  message = 'Service temporarily unavailable',
  retryAfterSeconds = 5,
  cause?: unknown,
): AppError =>
  new AppError(message, {
    status: 503,
    code: 'unavailable',
    expose: true,
    cause,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
