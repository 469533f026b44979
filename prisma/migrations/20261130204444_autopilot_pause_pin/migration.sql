-- AlterTable
ALTER TABLE "FleetTarget" ADD COLUMN     "pausedAt" TIMESTAMP(3),
ADD COLUMN     "pausedBy" TEXT;

-- CreateTable
CREATE TABLE "AutopilotPin" (
    "deviceId" TEXT NOT NULL,
    "reason" TEXT,
    "pinnedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AutopilotPin_pkey" PRIMARY KEY ("deviceId")
);

-- AddForeignKey
ALTER TABLE "AutopilotPin" ADD CONSTRAINT "AutopilotPin_deviceId_fkey" FOREIGN KEY ("deviceId") REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;
