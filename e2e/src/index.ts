export * from './clients.ts';
export * from './demo-upstream.ts';
export * from './load.ts';
export * from './process.ts';
export * from './seed.ts';
export * from './stack.ts';
