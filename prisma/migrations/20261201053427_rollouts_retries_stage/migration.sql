-- AlterEnum
ALTER TYPE "DeploymentDeviceState" ADD VALUE 'staged';

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "attempt" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "stage" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "RolloutDevice" ADD COLUMN     "lastFailure" TEXT,
ADD COLUMN     "retriedAt" TIMESTAMP(3),
ADD COLUMN     "retries" JSONB NOT NULL DEFAULT '{}';
