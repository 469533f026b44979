-- CreateEnum
CREATE TYPE "ApiKeyRole" AS ENUM ('admin', 'operator', 'viewer', 'enroller');

-- CreateEnum
CREATE TYPE "ApiKeySource" AS ENUM ('env', 'bootstrap', 'api');

-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "createdBy" TEXT,
ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "lookupId" TEXT,
ADD COLUMN     "role" "ApiKeyRole" NOT NULL DEFAULT 'admin',
ADD COLUMN     "salt" TEXT,
ADD COLUMN     "source" "ApiKeySource" NOT NULL DEFAULT 'api';

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_lookupId_key" ON "ApiKey"("lookupId");

-- Keys stored before roles existed were all admins; tell where they came from by the names they were given.
UPDATE "ApiKey" SET "source" = 'env' WHERE "name" = 'admin (ADMIN_API_KEY)';
UPDATE "ApiKey" SET "source" = 'bootstrap' WHERE "name" = 'admin (generated)';
