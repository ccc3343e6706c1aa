-- Expand: the services' own least-privilege login, so they never use the RDS master user (whose
-- password RDS rotates; only the migration task keeps it). No password: on RDS the role is granted
-- rds_iam and logs in with IAM database authentication (the task role may rds-db:connect as it).
-- It may read and write the application's rows and read the migration bookkeeping (readiness),
-- nothing else: no DDL, no DELETE. The name is database.serviceUsername in Pulumi.<stack>.yaml.
-- Idempotent: every statement can run again and changes nothing the second time.
-- Up Migration
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orders_app') THEN
    CREATE ROLE orders_app LOGIN;
  END IF;
  -- rds_iam exists only on RDS; elsewhere the role gets no IAM login (and has no password either).
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO orders_app;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO orders_app;
GRANT SELECT, INSERT, UPDATE ON orders TO orders_app;
GRANT SELECT ON order_statuses TO orders_app;
GRANT SELECT ON pgmigrations TO orders_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO orders_app;
-- Tables and sequences later migrations create (as the migration user) are usable the same way.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO orders_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO orders_app;

-- Down Migration
-- Only the release that introduced the role logs in as it; the previous one used the master user.
-- A role belongs to the whole cluster: this database's grants go, the role itself only when no
-- other database of the cluster still grants it anything (else DROP ROLE fails there).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'orders_app') THEN
    DROP OWNED BY orders_app;
    IF NOT EXISTS (
      SELECT 1 FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
       WHERE r.rolname = 'orders_app' AND d.dbid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    ) THEN
      DROP ROLE orders_app;
    END IF;
  END IF;
END
$$;
