-- Read caches (ReadCache in libs/platform) of other control planes learn of committed changes through
-- LISTEN edgefleet_table_changes: each statement changing a table whose reads are cached notifies its name.
-- PostgreSQL delivers a notification only when (and if) the transaction commits, once per table per transaction.
-- A table whose reads are cached must be in this list (read-cache.postgres.int.spec checks it).
CREATE FUNCTION edgefleet_notify_table_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('edgefleet_table_changes', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Device_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "Device"
  FOR EACH STATEMENT EXECUTE FUNCTION edgefleet_notify_table_change();
CREATE TRIGGER "Deployment_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "Deployment"
  FOR EACH STATEMENT EXECUTE FUNCTION edgefleet_notify_table_change();
CREATE TRIGGER "DeploymentDevice_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "DeploymentDevice"
  FOR EACH STATEMENT EXECUTE FUNCTION edgefleet_notify_table_change();
CREATE TRIGGER "ModelArtifact_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "ModelArtifact"
  FOR EACH STATEMENT EXECUTE FUNCTION edgefleet_notify_table_change();
CREATE TRIGGER "BenchmarkReport_changes" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "BenchmarkReport"
  FOR EACH STATEMENT EXECUTE FUNCTION edgefleet_notify_table_change();
