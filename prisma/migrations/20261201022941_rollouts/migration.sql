-- CreateEnum
CREATE TYPE "RolloutState" AS ENUM ('scheduled', 'running', 'awaiting_approval', 'paused', 'rolling_back', 'rolled_back', 'completed', 'cancelled');

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "purpose" TEXT NOT NULL DEFAULT 'direct',
ADD COLUMN     "rolloutId" TEXT,
ADD COLUMN     "wave" INTEGER;

-- CreateTable
CREATE TABLE "Segment" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "selector" JSONB NOT NULL,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Segment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "segmentId" TEXT,
    "selector" JSONB NOT NULL,
    "segmentMode" TEXT NOT NULL,
    "what" JSONB NOT NULL,
    "plan" JSONB NOT NULL,
    "artifacts" JSONB NOT NULL DEFAULT '{}',
    "state" "RolloutState" NOT NULL DEFAULT 'scheduled',
    "currentWave" INTEGER NOT NULL DEFAULT 0,
    "waveStartedAt" TIMESTAMP(3),
    "paceFrom" TIMESTAMP(3),
    "switchedAt" TIMESTAMP(3),
    "startAt" TIMESTAMP(3),
    "reason" TEXT,
    "createdBy" TEXT,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutDevice" (
    "rolloutId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "profileClass" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'planned',
    "artifactId" TEXT,
    "previousArtifactId" TEXT,
    "deploymentId" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "notifiedAt" TIMESTAMP(3),
    "publishedAt" TIMESTAMP(3),
    "stagedPublishedAt" TIMESTAMP(3),
    "rollbackDeploymentId" TEXT,
    "rollbackNotifiedAt" TIMESTAMP(3),
    "rollbackPublishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RolloutDevice_pkey" PRIMARY KEY ("rolloutId","deviceId")
);

-- CreateTable
CREATE TABLE "RolloutDecision" (
    "id" TEXT NOT NULL,
    "rolloutId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "wave" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "metrics" JSONB,
    "actor" TEXT NOT NULL DEFAULT 'system',

    CONSTRAINT "RolloutDecision_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Segment_name_key" ON "Segment"("name");

-- CreateIndex
CREATE INDEX "Rollout_state_idx" ON "Rollout"("state");

-- CreateIndex
CREATE INDEX "RolloutDevice_rolloutId_wave_state_idx" ON "RolloutDevice"("rolloutId", "wave", "state");

-- CreateIndex
CREATE INDEX "RolloutDevice_deviceId_idx" ON "RolloutDevice"("deviceId");

-- CreateIndex
CREATE INDEX "RolloutDecision_rolloutId_at_idx" ON "RolloutDecision"("rolloutId", "at");

-- CreateIndex
CREATE INDEX "Deployment_rolloutId_idx" ON "Deployment"("rolloutId");

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rollout" ADD CONSTRAINT "Rollout_segmentId_fkey" FOREIGN KEY ("segmentId") REFERENCES "Segment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutDevice" ADD CONSTRAINT "RolloutDevice_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RolloutDecision" ADD CONSTRAINT "RolloutDecision_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;
