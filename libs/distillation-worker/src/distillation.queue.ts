import { PrismaClient } from '@edgefleet/db';
import { JobQueue } from '@edgefleet/jobs';
import type { Provider } from '@nestjs/common';

/** The database job queue (libs/jobs) as a Nest provider; it is the repository of the Job table. */
export const jobQueueProvider: Provider = { provide: JobQueue, inject: [PrismaClient], useFactory: (prisma: PrismaClient) => new JobQueue(prisma) };
