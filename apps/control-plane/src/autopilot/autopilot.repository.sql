INSERT INTO "TargetClassState" ("id", "targetId", "profileClass", "leaseOwner", "leaseExpiresAt", "updatedAt")
VALUES (gen_random_uuid()::text, $1, $2, $3, now() + ($4 * interval '1 millisecond'), now())
ON CONFLICT ("targetId", "profileClass") DO UPDATE SET "leaseOwner" = EXCLUDED."leaseOwner", "leaseExpiresAt" = EXCLUDED."leaseExpiresAt"
WHERE "TargetClassState"."leaseExpiresAt" IS NULL OR "TargetClassState"."leaseExpiresAt" < now() OR "TargetClassState"."leaseOwner" = $5
-- 5 parameter(s)
