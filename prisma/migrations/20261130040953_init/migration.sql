-- CreateEnum
CREATE TYPE "DeviceStatus" AS ENUM ('registered', 'online', 'offline');

-- CreateEnum
CREATE TYPE "DeploymentStatus" AS ENUM ('in_progress', 'succeeded', 'partial', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "DeploymentDeviceState" AS ENUM ('pending', 'downloading', 'verifying', 'benchmarking', 'active', 'rejected', 'failed', 'superseded');

-- CreateTable
CREATE TABLE "Device" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tags" TEXT[],
    "profile" JSONB NOT NULL,
    "profileClass" TEXT NOT NULL,
    "status" "DeviceStatus" NOT NULL DEFAULT 'registered',
    "lastSeenAt" TIMESTAMP(3),
    "agentVersion" TEXT,
    "activeArtifactId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Device_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelArtifact" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "precision" TEXT NOT NULL DEFAULT 'fp32',
    "sha256" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "storageKey" TEXT NOT NULL,
    "inputs" JSONB NOT NULL,
    "outputs" JSONB NOT NULL,
    "params" INTEGER,
    "macs" BIGINT,
    "evalSetSha256" TEXT,
    "evalSetSize" INTEGER,
    "evalSetKey" TEXT,
    "evalSamples" INTEGER,
    "metrics" JSONB,
    "lineage" JSONB,
    "family" TEXT,
    "signature" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelArtifact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" TEXT NOT NULL,
    "artifactId" TEXT NOT NULL,
    "gates" JSONB NOT NULL,
    "target" JSONB NOT NULL,
    "status" "DeploymentStatus" NOT NULL DEFAULT 'in_progress',
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeploymentDevice" (
    "id" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "state" "DeploymentDeviceState" NOT NULL DEFAULT 'pending',
    "receivedBlocks" INTEGER NOT NULL DEFAULT 0,
    "totalBlocks" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "reportId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DeploymentDevice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BenchmarkReport" (
    "id" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "artifactId" TEXT NOT NULL,
    "deploymentId" TEXT,
    "latencyP50Ms" DOUBLE PRECISION,
    "latencyP95Ms" DOUBLE PRECISION,
    "latencyP99Ms" DOUBLE PRECISION,
    "latencyMeanMs" DOUBLE PRECISION,
    "throughputPerSec" DOUBLE PRECISION,
    "peakRssMb" DOUBLE PRECISION,
    "accuracy" DOUBLE PRECISION,
    "evalSamples" INTEGER,
    "runs" INTEGER NOT NULL DEFAULT 0,
    "passed" BOOLEAN NOT NULL,
    "activated" BOOLEAN NOT NULL DEFAULT false,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "failureReason" TEXT,
    "details" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BenchmarkReport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "entityType" TEXT NOT NULL,
    "entityId" TEXT,
    "details" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Device_profileClass_idx" ON "Device"("profileClass");

-- CreateIndex
CREATE INDEX "ModelArtifact_sha256_idx" ON "ModelArtifact"("sha256");

-- CreateIndex
CREATE INDEX "ModelArtifact_family_idx" ON "ModelArtifact"("family");

-- CreateIndex
CREATE UNIQUE INDEX "ModelArtifact_name_version_precision_key" ON "ModelArtifact"("name", "version", "precision");

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentDevice_reportId_key" ON "DeploymentDevice"("reportId");

-- CreateIndex
CREATE INDEX "DeploymentDevice_deviceId_state_idx" ON "DeploymentDevice"("deviceId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentDevice_deploymentId_deviceId_key" ON "DeploymentDevice"("deploymentId", "deviceId");

-- CreateIndex
CREATE INDEX "BenchmarkReport_deviceId_createdAt_idx" ON "BenchmarkReport"("deviceId", "createdAt");

-- CreateIndex
CREATE INDEX "BenchmarkReport_artifactId_idx" ON "BenchmarkReport"("artifactId");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hash_key" ON "ApiKey"("hash");

-- CreateIndex
CREATE INDEX "AuditEvent_entityType_entityId_idx" ON "AuditEvent"("entityType", "entityId");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- AddForeignKey
ALTER TABLE "Device" ADD CONSTRAINT "Device_activeArtifactId_fkey" FOREIGN KEY ("activeArtifactId") REFERENCES "ModelArtifact"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "ModelArtifact"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeploymentDevice" ADD CONSTRAINT "DeploymentDevice_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeploymentDevice" ADD CONSTRAINT "DeploymentDevice_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeploymentDevice" ADD CONSTRAINT "DeploymentDevice_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "BenchmarkReport"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkReport" ADD CONSTRAINT "BenchmarkReport_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkReport" ADD CONSTRAINT "BenchmarkReport_artifactId_fkey" FOREIGN KEY ("artifactId") REFERENCES "ModelArtifact"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BenchmarkReport" ADD CONSTRAINT "BenchmarkReport_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;
