export * from './form-browser.ts';
export * from './helpers.ts';
export * from './infra.ts';
export * from './kafka-cluster.ts';
export * from './redis-topologies.ts';
