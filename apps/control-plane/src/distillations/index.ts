// What other packages (tests, benches) use of distillation as a service. The worker itself is @edgefleet/distillation-worker.
export { DistillationsModule } from './distillations.module';
export { DistillationsService } from './distillation.service';
