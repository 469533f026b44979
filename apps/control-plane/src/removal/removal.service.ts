import { Injectable } from '@nestjs/common';
import { DatasetsService, ModelRepository } from '@edgefleet/catalog';
import { AuditRepository, InUseError, NotFoundError, UnitOfWork } from '@edgefleet/platform';
import type { Actor } from '@edgefleet/platform';
import { TargetsService } from '../autopilot/target.service';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { DeviceRepository } from '../devices/device.repository';
import { DistillationsService } from '../distillations/distillation.service';
import { RolloutsService } from '../rollouts/rollout.service';

/**
 * Deleting models and data sets. A record still in use is refused (409) with every user listed, so the operator
 * knows what to stop first; a model's history (finished deployments and their reports) goes with it, the audit log
 * keeps the deletion. Files stay in the content-addressed artifact store, which other rows may share.
 */
@Injectable()
export class RemovalService {
  constructor(
    private readonly models: ModelRepository,
    private readonly datasets: DatasetsService,
    private readonly devices: DeviceRepository,
    private readonly deployments: DeploymentRepository,
    private readonly distillations: DistillationsService,
    private readonly targets: TargetsService,
    private readonly rollouts: RolloutsService,
    private readonly audit: AuditRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** Users of a model: devices running it, deployments and rollouts delivering it, targets and distillations needing it. */
  async modelUsers(artifactId: string): Promise<string[]> {
    const [devices, deployments, rollouts, targets, jobs] = await Promise.all([
      this.devices.runningArtifact(artifactId), this.deployments.inProgressWithArtifact(artifactId), this.rollouts.repository.liveUsing(artifactId),
      this.targets.targetsUsing({ artifactId }), this.distillations.activeUsing('teacherArtifactId', artifactId),
    ]);
    return [...devices.map((d) => `device ${d} (runs it)`), ...deployments.map((d) => `deployment ${d} (in progress)`), ...rollouts, ...targets, ...jobs];
  }

  async deleteModel(id: string, actor: Actor): Promise<void> {
    const model = await this.models.find(id);
    if (!model) throw new NotFoundError('model', id);
    const users = await this.modelUsers(id);
    if (users.length > 0) throw new InUseError('model', id, users);
    await this.uow.transaction(async (tx) => {
      const history = await this.deployments.deleteFinishedWithArtifact(id, tx);
      await this.models.delete(id, tx);
      await this.audit.record({
        actor, action: 'model.delete', entityType: 'model', entityId: id,
        details: { name: model.name, version: model.version, precision: model.precision, sha256: model.sha256, finishedDeploymentsDeleted: history },
      }, tx);
    });
  }

  async deleteDataset(id: string, actor: Actor): Promise<void> {
    const dataset = await this.datasets.get(id);
    const [jobs, targets] = await Promise.all([this.distillations.activeUsing('datasetId', id), this.targets.targetsUsing({ datasetId: id })]);
    const users = [...jobs, ...targets];
    if (users.length > 0) throw new InUseError('data set', id, users);
    if (!(await this.datasets.remove(id))) throw new NotFoundError('dataset', id);
    await this.audit.record({ actor, action: 'dataset.delete', entityType: 'dataset', entityId: id, details: { name: dataset.name } });
  }
}
