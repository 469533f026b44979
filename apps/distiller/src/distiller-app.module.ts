import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule, DatabaseModule, AuditModule, EventsModule } from '@edgefleet/platform';
import { DistillationConfig, DistillationWorkerModule } from '@edgefleet/distillation-worker';

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
