import { Delete, HttpCode, Param } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiOperation } from '@nestjs/swagger';
import type { Actor } from '@edgefleet/platform';
import { CurrentActor } from '../auth/actor.decorator';
import { Roles } from '../auth/roles';
import { ApiController } from '../openapi/api-controller.decorator';
import { ErrorView } from '../openapi/api-error-responses';
import { RemovalService } from './removal.service';

@ApiController('models')
@Roles('operator')
export class ModelRemovalController {
  constructor(private readonly removal: RemovalService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model and its finished deployments\' history; refused while a device runs it or a deployment, rollout, target or distillation uses it' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ type: ErrorView, description: 'In use: `details` lists every user' })
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.removal.deleteModel(id, actor);
  }
}

@ApiController('datasets')
@Roles('operator')
export class DatasetRemovalController {
  constructor(private readonly removal: RemovalService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a data set; refused while a queued or running distillation or a target\'s distil settings use it' })
  @ApiNoContentResponse()
  @ApiConflictResponse({ type: ErrorView, description: 'In use: `details` lists every user' })
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    await this.removal.deleteDataset(id, actor);
  }
}
