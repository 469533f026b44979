UPDATE "Job" SET
  status = (CASE WHEN "cancelRequested" THEN 'cancelled' ELSE 'failed' END)::"JobStatus",
  error = (CASE WHEN "cancelRequested" THEN error ELSE COALESCE(error || '; ', '') || 'lease expired on attempt ' || attempts || ' of ' || "maxAttempts" END),
  "leaseToken" = NULL, "leaseExpiresAt" = NULL, "finishedAt" = (now() AT TIME ZONE 'UTC'), "updatedAt" = (now() AT TIME ZONE 'UTC')
WHERE queue = $1 AND status = 'running' AND "leaseExpiresAt" < (now() AT TIME ZONE 'UTC')
  AND (attempts >= "maxAttempts" OR "cancelRequested")
-- 1 parameter(s)

UPDATE "Job" SET
  status = 'running', attempts = attempts + 1, "lockedBy" = $1, "leaseToken" = $2,
  "leaseExpiresAt" = (now() AT TIME ZONE 'UTC') + make_interval(secs => $3::double precision), "startedAt" = COALESCE("startedAt", (now() AT TIME ZONE 'UTC')), "updatedAt" = (now() AT TIME ZONE 'UTC')
WHERE id = (
  SELECT id FROM "Job"
  WHERE queue = $4 AND attempts < "maxAttempts" AND NOT "cancelRequested" AND (
    (status = 'queued' AND "runAfter" <= (now() AT TIME ZONE 'UTC')) OR (status = 'running' AND "leaseExpiresAt" < (now() AT TIME ZONE 'UTC')))
  ORDER BY priority DESC, "createdAt", id
  LIMIT 1
  FOR UPDATE SKIP LOCKED)
RETURNING id
-- 4 parameter(s)

UPDATE "Job" SET "leaseExpiresAt" = (now() AT TIME ZONE 'UTC') + make_interval(secs => $1::double precision), "updatedAt" = (now() AT TIME ZONE 'UTC') , progress = $2::jsonb
WHERE id = $3 AND "leaseToken" = $4 AND status = 'running'
RETURNING "cancelRequested"
-- 4 parameter(s)

UPDATE "Job" SET status = 'queued', attempts = GREATEST(attempts - 1, 0), "lockedBy" = NULL, "leaseToken" = NULL,
  "leaseExpiresAt" = NULL, "runAfter" = (now() AT TIME ZONE 'UTC'), "updatedAt" = (now() AT TIME ZONE 'UTC')
WHERE id = $1 AND "leaseToken" = $2 AND status = 'running'
-- 2 parameter(s)
