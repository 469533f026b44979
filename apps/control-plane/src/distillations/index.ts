// What other packages (apps/distiller, tests, the selection module) use of distillation as a service.
export { DistillationConfig } from './distillation.config';
export { LOG_LEVELS } from '../config/app-config';
export { DistillationsModule, DistillationWorkerModule } from './distillations.module';
export { DistillerAppModule } from './distiller-app.module';
export { DistillationsService } from './distillation.service';
export { DistillationWorkerService } from './distillation-worker.service';
export type { DistillationPayload, DistillationProgress, DistillationResultSummary, HyperParameters, TargetBudget } from './distillation.types';
export { DISTILLATION_QUEUE } from './distillation.types';
export { DatasetsService } from '../datasets/dataset.service';
