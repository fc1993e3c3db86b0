export * from './build.ts';
export * from './health.ts';
export * from './kafka.ts';
export * from './relay.ts';
export * from './schemas.ts';
export * from './snapshot.ts';
export * from './topics.ts';
export * from './usage.ts';
