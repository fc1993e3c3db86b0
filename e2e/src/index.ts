export * from './demo-upstream.ts';
export * from './process.ts';
