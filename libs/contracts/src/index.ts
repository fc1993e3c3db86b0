export * from './lifecycle.ts';
export * from './portal-config.ts';
