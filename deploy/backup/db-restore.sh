#!/bin/sh
# Restore a dump made by db-dump.sh into a new database (default: PGDATABASE, or mlf).
#
#   deploy/backup/db-restore.sh DUMP_FILE [DATABASE]
#
# Stop the collector first, and drop or rename the database being replaced: this script refuses to write
# into an existing one. With TimescaleDB in the dump, the extension is created first and wrapped in
# timescaledb_pre_restore() / timescaledb_post_restore(), as TimescaleDB requires (the server needs the
# same TimescaleDB version as the dump's). Everything is owned by MLF_RESTORE_ROLE (default: the user
# connecting), the collector's database role, and no grants are restored: run Grafana's role script
# again afterwards (deploy/grafana/grafana-role.sql). Connection as for db-dump.sh; MLF_MAINTENANCE_DB
# (postgres) is where the new database is created from.
set -eu
if [ -n "${MLF_PG_BINDIR:-}" ]; then PATH="$MLF_PG_BINDIR:$PATH"; fi
dump=${1:?usage: db-restore.sh DUMP_FILE [DATABASE]}
db=${2:-${PGDATABASE:-mlf}}
maintenance=${MLF_MAINTENANCE_DB:-postgres}

listing=$(pg_restore --list "$dump") || { echo "db-restore.sh: $dump is not a readable pg_dump archive" >&2; exit 1; }
case $listing in *" EXTENSION - timescaledb "*) timescaledb=yes ;; *) timescaledb=no ;; esac

sql() { psql -X -q -v ON_ERROR_STOP=1 --dbname="$1" -c "$2"; }
ident() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }
role=${MLF_RESTORE_ROLE:-}
owner=
if [ -n "$role" ]; then owner=" OWNER $(ident "$role")"; fi
sql "$maintenance" "CREATE DATABASE $(ident "$db")$owner" # fails if it exists: nothing is overwritten
if [ "$timescaledb" = yes ]; then
    sql "$db" "CREATE EXTENSION IF NOT EXISTS timescaledb"
    sql "$db" "SELECT timescaledb_pre_restore()" >/dev/null
fi
pg_restore --exit-on-error --no-owner --no-privileges ${role:+"--role=$role"} --dbname="$db" "$dump"
if [ "$timescaledb" = yes ]; then
    sql "$db" "SELECT timescaledb_post_restore()" >/dev/null
fi
sql "$db" "ANALYZE"
echo "db-restore.sh: $dump restored into database $db (TimescaleDB: $timescaledb)"
