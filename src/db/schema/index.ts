export * from './cluster.ts';
export * from './job.ts';
export * from './run.ts';
export * from './checkpoint.ts';
export * from './telemetry.ts';
export * from './auth.ts';
export * from './schedule.ts';
export * from './connection.ts';
export type * from './rows.ts';
