-- AlterTable: what each device ran when a deployment enrolled it (cancel sends it back there).
ALTER TABLE "DeploymentDevice" ADD COLUMN "previousArtifactId" TEXT;
