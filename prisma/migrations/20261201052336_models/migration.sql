-- AlterTable
ALTER TABLE "BenchmarkReport" ADD COLUMN     "modelMemoryMb" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "ModelArtifact" ADD COLUMN     "evalTask" TEXT,
ADD COLUMN     "inputSpec" JSONB;
