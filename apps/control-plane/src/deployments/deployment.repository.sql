SELECT 1 FROM "Deployment" WHERE id = $1 FOR UPDATE
-- 1 parameter(s)

SELECT 1 FROM "DeploymentDevice" WHERE "deploymentId" = $1 AND "deviceId" = $2 FOR UPDATE
-- 2 parameter(s)
