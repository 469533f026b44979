-- AlterTable: what each device ran when a deployment enrolled it (cancel sends it back there).
ALTER TABLE "DeploymentDevice" ADD COLUMN "previousArtifactId" TEXT;

-- AlterTable: audit events list newest first; within one millisecond, in the order they were recorded.
ALTER TABLE "AuditEvent" ADD COLUMN "seq" BIGSERIAL NOT NULL;
