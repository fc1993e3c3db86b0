import { randomUUID } from 'node:crypto';
import type { EventOf, EventType } from './schemas.ts';

/** Builds an envelope. The id doubles as the idempotency key for consumers. */
export function makeEvent<T extends EventType>(
  type: T,
  data: EventOf<T>['data'],
  source: string,
  options: { id?: string; occurredAt?: Date } = {},
): EventOf<T> {
  return {
    id: options.id ?? randomUUID(),
    type,
    version: 1,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    source,
    data,
  } as EventOf<T>;
}
