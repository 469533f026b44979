SELECT 1 FROM "Deployment" WHERE id = $1 FOR UPDATE
-- 1 parameter(s)
