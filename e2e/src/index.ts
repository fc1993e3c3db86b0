export * from './process.ts';
export * from './demo-upstream.ts';
