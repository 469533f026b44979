import { Module } from '@nestjs/common';
import { ModelInspector } from './model.inspector';
import { ModelRepository } from './model.repository';

/** Model rows and ONNX inspection, without the REST API: shared by the control plane and the distillation worker. */
@Module({
  providers: [ModelRepository, ModelInspector],
  exports: [ModelRepository, ModelInspector],
})
export class ModelsCoreModule {}
