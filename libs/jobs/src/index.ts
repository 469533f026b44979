export * from './job.types';
export * from './job.errors';
export { JobQueue, type JobDb } from './job.queue';
export { JobWorker, type JobContext, type JobHandler, type JobWorkerOptions } from './job.worker';
