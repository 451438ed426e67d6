export * from './auth.ts';
export * from './context.ts';
export * from './errors.ts';
export * from './idempotency.ts';
export * from './ids.ts';
export * from './pagination.ts';
export * from './ranges.ts';
