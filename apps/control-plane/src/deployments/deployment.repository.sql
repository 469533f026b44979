SELECT status::text AS status FROM "Deployment" WHERE id = $1 FOR UPDATE
-- 1 parameter(s)

SELECT id, "deploymentId", "deviceId", state::text AS state, "receivedBlocks", "totalBlocks", "reportId" FROM "DeploymentDevice"
WHERE ("deploymentId", "deviceId") IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY id FOR UPDATE
-- 2 parameter(s)

UPDATE "DeploymentDevice" AS d
SET state = v.state::"DeploymentDeviceState", "receivedBlocks" = v.received, "totalBlocks" = v.total, "updatedAt" = now() AT TIME ZONE 'UTC'
FROM unnest($1::text[], $2::text[], $3::int[], $4::int[])
  AS v(id, state, received, total)
WHERE d.id = v.id
-- 4 parameter(s)
