import { Inject, Injectable } from '@nestjs/common';
import { PrismaClient } from '@edgefleet/db';

@Injectable()
export class HealthRepository {
  constructor(@Inject(PrismaClient) private readonly prisma: PrismaClient) {}

  /** Round trip to the database; throws when it is unreachable. */
  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }
}
