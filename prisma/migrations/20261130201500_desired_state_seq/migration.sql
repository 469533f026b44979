-- CreateTable
CREATE TABLE "DesiredStateSeq" (
    "deviceId" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DesiredStateSeq_pkey" PRIMARY KEY ("deviceId")
);
