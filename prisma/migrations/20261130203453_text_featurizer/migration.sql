-- AlterTable
ALTER TABLE "ModelArtifact" ADD COLUMN     "featurizer" JSONB;
