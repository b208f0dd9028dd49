#!/bin/sh
# Base backup for point-in-time recovery: pg_basebackup (plain format, with the WAL it needs streamed
# alongside, so the copy is consistent on its own), checked with pg_verifybackup, the newest
# MLF_BASE_KEEP (2) kept; archived WAL older than the oldest kept base backup is then removed.
#
#   deploy/backup/base-backup.sh BASE_DIR WAL_ARCHIVE_DIR
#
# Connection: libpq's variables (PGHOST, PGPORT, PGUSER with the REPLICATION attribute, PGPASSFILE).
# MLF_PG_BINDIR: the folder of pg_basebackup, pg_verifybackup and pg_archivecleanup if not on PATH.
set -eu
if [ -n "${MLF_PG_BINDIR:-}" ]; then PATH="$MLF_PG_BINDIR:$PATH"; fi
dir=${1:?usage: base-backup.sh BASE_DIR WAL_ARCHIVE_DIR}
wal=${2:?usage: base-backup.sh BASE_DIR WAL_ARCHIVE_DIR}
keep=${MLF_BASE_KEEP:-2}
case $keep in '' | *[!0-9]* | 0) echo "base-backup.sh: MLF_BASE_KEEP must be a whole number >= 1" >&2; exit 2 ;; esac

umask 077
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dir/base-$stamp"
partial="$final.partial"
trap 'rm -rf "$partial"' EXIT
pg_basebackup --pgdata="$partial" --format=plain --wal-method=stream --checkpoint=fast --label="mlf $stamp"
pg_verifybackup --quiet "$partial"
sync
mv "$partial" "$final"
trap - EXIT

ls -1d "$dir"/base-*Z | sort -r | tail -n "+$((keep + 1))" | while IFS= read -r old; do
    rm -rf -- "$old"
done
# WAL before the oldest kept base backup's start can no longer be replayed onto anything: remove it.
oldest=$(ls -1d "$dir"/base-*Z | sort | head -n 1)
first_wal=$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]\{24\}\))$/\1/p' "$oldest/backup_label")
if [ -n "$first_wal" ] && [ -d "$wal" ]; then
    pg_archivecleanup -x .gz "$wal" "$first_wal"
fi
echo "base-backup.sh: $final (WAL archive kept from $first_wal)"
