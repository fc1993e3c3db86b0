import { KeyManagerError } from '../keymanager/port.ts';
import { Conflict, InvalidInput, Unavailable } from './errors.ts';

/** Key-manager failures as domain errors; anything else is passed on unchanged. */
export function keyManagerFailure(err: unknown): unknown {
  if (!(err instanceof KeyManagerError)) return err;
  if (err.kind === 'unavailable')
    return new Unavailable('The key-manager is unavailable, try again later', err);
  if (err.kind === 'not_found')
    return new Conflict('The key no longer exists at the key-manager', 'key_manager_out_of_sync');
  return new InvalidInput(`The key-manager refused the request: ${err.message}`, 'key_manager_rejected', {
    cause: err,
  });
}
