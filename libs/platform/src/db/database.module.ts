import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Database, openDatabase, PrismaClient } from '@edgefleet/db';
import { AppConfig } from '../config/app-config';
import { DATABASE } from './database.token';
import { ReadCache } from './read-cache';
import { UnitOfWork } from './unit-of-work';

export { DATABASE };

/** Closes the database after everything that uses it has shut down. */
@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Opens PGlite under DATA_DIR or PostgreSQL at DATABASE_URL (migrations applied) and provides the Prisma
 * client under the PrismaClient class token. Only repositories inject it.
 */
@Global()
@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [AppConfig],
      useFactory: (config: AppConfig): Promise<Database> => {
        const log = new Logger('Database');
        return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log: (line) => log.log(line) });
      },
    },
    { provide: PrismaClient, inject: [DATABASE], useFactory: (db: Database) => db.prisma },
    DatabaseCloser,
    UnitOfWork,
    ReadCache,
  ],
  exports: [DATABASE, PrismaClient, UnitOfWork, ReadCache],
})
export class DatabaseModule {}
