#!/bin/sh
# Nightly logical dump of the collector's database: pg_dump's custom format, read back before it is kept,
# the newest MLF_BACKUP_KEEP (14) kept. Recovery point: the moment this dump started.
#
#   deploy/backup/db-dump.sh BACKUP_DIR
#
# Connection: libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSFILE; PGDATABASE, default mlf).
# MLF_PG_BINDIR: the folder of pg_dump and pg_restore, when they are not on PATH (or the wrong version).
set -eu
if [ -n "${MLF_PG_BINDIR:-}" ]; then PATH="$MLF_PG_BINDIR:$PATH"; fi
dir=${1:?usage: db-dump.sh BACKUP_DIR}
keep=${MLF_BACKUP_KEEP:-14}
db=${PGDATABASE:-mlf}
case $keep in '' | *[!0-9]* | 0) echo "db-dump.sh: MLF_BACKUP_KEEP must be a whole number >= 1" >&2; exit 2 ;; esac

umask 077 # a dump holds every rating and the API keys' hashes: readable by its owner only
mkdir -p "$dir"
final="$dir/$db-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$final.partial"
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --dbname="$db" --file="$partial"
# A dump that cannot be read back is no backup: list its table of contents before keeping it.
entries=$(pg_restore --list "$partial" | grep -c -v '^;')
sync "$partial" 2>/dev/null || sync
mv "$partial" "$final"
trap - EXIT

# Keep the newest $keep dumps of this database (names sort by time).
ls -1 "$dir/$db"-*.dump | sort -r | tail -n "+$((keep + 1))" | while IFS= read -r old; do
    rm -f -- "$old"
done
echo "db-dump.sh: $final ($entries entries, $(wc -c <"$final" | tr -d ' ') bytes)"
