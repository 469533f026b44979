-- telemetry helper: the confidence baseline drift is measured against (docs/telemetry.md, "Drift method").
CREATE TABLE "TelemetryBaseline" (
    "modelId" TEXT NOT NULL,
    "profileClass" TEXT NOT NULL,
    "from" TIMESTAMP(3) NOT NULL,
    "to" TIMESTAMP(3) NOT NULL,
    "inferences" INTEGER NOT NULL,
    "classCounts" INTEGER[],
    "confHist" INTEGER[],
    "takenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TelemetryBaseline_pkey" PRIMARY KEY ("modelId","profileClass")
);
