import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';
import { UNFINISHED_STATES } from '../deployments/deployment-state';

@Injectable()
export class FetchableObjectsRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** sha256 of every model and eval set that an unfinished deployment of this device delivers. */
  async forDevice(deviceId: string): Promise<Set<string>> {
    const rows = await this.prisma.deploymentDevice.findMany({
      where: { deviceId, state: { in: [...UNFINISHED_STATES] } },
      select: { deployment: { select: { artifact: { select: { sha256: true, evalSetSha256: true } } } } },
    });
    const out = new Set<string>();
    for (const r of rows) {
      out.add(r.deployment.artifact.sha256);
      if (r.deployment.artifact.evalSetSha256) out.add(r.deployment.artifact.evalSetSha256);
    }
    return out;
  }
}
