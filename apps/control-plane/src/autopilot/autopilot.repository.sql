UPDATE "TargetClassState" SET "leaseOwner" = $1, "leaseExpiresAt" = now() + ($2 * interval '1 millisecond')
WHERE "targetId" = $3 AND "profileClass" = $4
  AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < now() OR "leaseOwner" = $5)
-- 5 parameter(s)
