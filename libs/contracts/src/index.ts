export * from './key-grants.ts';
export * from './lifecycle.ts';
export * from './open-resources.ts';
export * from './portal-config.ts';
export * from './token-validity.ts';
export * from './usage.ts';
