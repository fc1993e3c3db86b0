import { AppError, unavailable } from '@portico/core';
import { KeyManagerError } from '../keymanager/port.ts';

/** Key-manager failures as the REST API reports them. */
export function keyManagerFailure(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof KeyManagerError) {
    if (err.kind === 'unavailable')
      return unavailable('The key-manager is unavailable, try again later', 5, err);
    if (err.kind === 'not_found') {
      return new AppError('The key no longer exists at the key-manager', {
        status: 409,
        code: 'key_manager_out_of_sync',
        cause: err,
      });
    }
    return new AppError(`The key-manager refused the request: ${err.message}`, {
      status: 400,
      code: 'key_manager_rejected',
      cause: err,
    });
  }
  return new AppError('Internal server error', {
    status: 500,
    code: 'internal_error',
    cause: err,
    expose: false,
  });
}
