import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../db/database.module';
import { AuditModule } from '../audit/audit.module';
import { EventsModule } from '../events/events.module';
import { DistillationConfig } from './distillation.config';
import { DistillationWorkerModule } from './distillations.module';

/**
 * The standalone worker process (apps/distiller): database, artifact store and the distillation worker, no
 * HTTP and no MQTT. Run as many as you like against the same PostgreSQL (DATABASE_URL) and DATA_DIR store.
 */
@Module({})
export class DistillerAppModule {
  static forRoot(config: AppConfig, distillation: DistillationConfig): DynamicModule {
    return {
      module: DistillerAppModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, AuditModule, EventsModule, DistillationWorkerModule.forRoot(distillation)],
    };
  }
}
