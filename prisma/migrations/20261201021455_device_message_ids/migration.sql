-- CreateTable
CREATE TABLE "DeviceMessage" (
    "deviceId" TEXT NOT NULL,
    "msgId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DeviceMessage_pkey" PRIMARY KEY ("deviceId","msgId")
);

-- CreateIndex
CREATE INDEX "DeviceMessage_receivedAt_idx" ON "DeviceMessage"("receivedAt");
