-- CreateTable
CREATE TABLE "TelemetryWindow" (
    "deviceId" TEXT NOT NULL,
    "windowId" TEXT NOT NULL,
    "start" TIMESTAMP(3) NOT NULL,
    "end" TIMESTAMP(3) NOT NULL,
    "modelSha256" TEXT,
    "modelId" TEXT,
    "profileClass" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "latencySumMs" DOUBLE PRECISION NOT NULL,
    "topProbSum" DOUBLE PRECISION NOT NULL,
    "latencyHist" INTEGER[],
    "classCounts" INTEGER[],
    "confHist" INTEGER[],
    "marginHist" INTEGER[],
    "entropyHist" INTEGER[],
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TelemetryWindow_pkey" PRIMARY KEY ("deviceId","windowId")
);

-- CreateTable
CREATE TABLE "TelemetryRollup" (
    "resolution" TEXT NOT NULL,
    "bucket" TIMESTAMP(3) NOT NULL,
    "deviceId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "profileClass" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "latencySumMs" DOUBLE PRECISION NOT NULL,
    "topProbSum" DOUBLE PRECISION NOT NULL,
    "latencyHist" INTEGER[],
    "classCounts" INTEGER[],
    "confHist" INTEGER[],

    CONSTRAINT "TelemetryRollup_pkey" PRIMARY KEY ("resolution","bucket","deviceId","modelId","profileClass")
);

-- CreateIndex
CREATE INDEX "TelemetryWindow_end_idx" ON "TelemetryWindow"("end");

-- CreateIndex
CREATE INDEX "TelemetryWindow_modelId_end_idx" ON "TelemetryWindow"("modelId", "end");

-- CreateIndex
CREATE INDEX "TelemetryWindow_profileClass_end_idx" ON "TelemetryWindow"("profileClass", "end");

-- CreateIndex
CREATE INDEX "TelemetryRollup_resolution_bucket_idx" ON "TelemetryRollup"("resolution", "bucket");
