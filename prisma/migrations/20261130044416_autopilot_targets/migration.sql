-- CreateEnum
CREATE TYPE "AutopilotStatus" AS ENUM ('selecting', 'distilling', 'deploying', 'active', 'rejected', 'infeasible', 'failed');

-- CreateTable
CREATE TABLE "FleetTarget" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "selector" JSONB NOT NULL,
    "budget" JSONB NOT NULL,
    "distill" JSONB,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FleetTarget_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TargetClassState" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "profileClass" TEXT NOT NULL,
    "status" "AutopilotStatus" NOT NULL DEFAULT 'selecting',
    "decision" TEXT,
    "chosenArtifactId" TEXT,
    "distillationJobId" TEXT,
    "deploymentId" TEXT,
    "reason" TEXT,
    "details" JSONB,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TargetClassState_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TargetDistillation" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "profileClass" TEXT NOT NULL,
    "student" TEXT NOT NULL,
    "jobId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TargetDistillation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "FleetTarget_name_key" ON "FleetTarget"("name");

-- CreateIndex
CREATE INDEX "TargetClassState_status_idx" ON "TargetClassState"("status");

-- CreateIndex
CREATE UNIQUE INDEX "TargetClassState_targetId_profileClass_key" ON "TargetClassState"("targetId", "profileClass");

-- CreateIndex
CREATE UNIQUE INDEX "TargetDistillation_targetId_profileClass_student_key" ON "TargetDistillation"("targetId", "profileClass", "student");

-- AddForeignKey
ALTER TABLE "TargetClassState" ADD CONSTRAINT "TargetClassState_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "FleetTarget"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TargetDistillation" ADD CONSTRAINT "TargetDistillation_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "FleetTarget"("id") ON DELETE CASCADE ON UPDATE CASCADE;
