-- CreateTable
CREATE TABLE "ArtifactBlob" (
    "sha256" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "chunkBytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ArtifactBlob_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "ArtifactChunk" (
    "sha256" TEXT NOT NULL,
    "index" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "ArtifactChunk_pkey" PRIMARY KEY ("sha256","index")
);

-- AddForeignKey
ALTER TABLE "ArtifactChunk" ADD CONSTRAINT "ArtifactChunk_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "ArtifactBlob"("sha256") ON DELETE CASCADE ON UPDATE CASCADE;

-- Model weights and gzip files do not compress: store chunks out of line without trying (EXTERNAL, not EXTENDED).
ALTER TABLE "ArtifactChunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;
