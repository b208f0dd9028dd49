-- Grafana's read-only database role, as dashboards/README.md defines it, for deploy/compose.yaml (the
-- db-grants service runs this once the collector has migrated the schema; safe to run again).
-- psql -v password_file=FILE -f grafana-role.sql: the role's password is read from FILE, never written here.
\set ON_ERROR_STOP on
\set password `cat :'password_file'`
SELECT lower(replace(:'password', '_', '-')) ~ '^(|changeme.*|change-me.*|password|secret|example)$' AS refused \gset
\if :refused
DO $$ BEGIN RAISE EXCEPTION 'the Grafana database password file is missing, empty or a placeholder'; END $$;
\endif
SELECT 'CREATE ROLE mlf_grafana' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mlf_grafana') \gexec
ALTER ROLE mlf_grafana LOGIN PASSWORD :'password';
-- Short statements: JIT compilation costs the dashboards more than it saves (docs/scaling.md).
ALTER ROLE mlf_grafana SET jit = off;
GRANT SELECT ON organisations, sites, service_points, services, reasons, targets, kiosks, sequence_gaps,
  quarantine, rollup_hourly, rollup_daily, rollup_monthly, rollup_monthly_points, reason_daily, alert_state,
  improvement_actions TO mlf_grafana;
