#!/bin/sh
# Point-in-time recovery: make DATA_DIR a copy of a base backup that, when PostgreSQL starts on it,
# replays the archived WAL up to TARGET_TIME (default: everything archived) and then opens for writing.
#
#   deploy/backup/pitr-restore.sh [--move-aside DIR] BASE_BACKUP WAL_ARCHIVE_DIR DATA_DIR [TARGET_TIME]
#
# Run it as the database server's user, with the server stopped. DATA_DIR must be empty or absent;
# --move-aside DIR first moves what is in it into DIR (new), so nothing is deleted. TARGET_TIME is a
# PostgreSQL timestamp with its offset ('2026-11-29 10:00:00+01'). The recovery settings go into
# DATA_DIR/postgresql.auto.conf (restore_command pointing at wal-fetch.sh beside this script) and
# recovery.signal; start the server, and it says "archive recovery complete" in its log when it is open.
set -eu
aside=
if [ "${1:-}" = --move-aside ]; then
    aside=${2:?--move-aside needs a folder}
    shift 2
fi
usage="usage: pitr-restore.sh [--move-aside DIR] BASE_BACKUP WAL_ARCHIVE_DIR DATA_DIR [TARGET_TIME]"
base=${1:?$usage}
wal=${2:?$usage}
data=${3:?$usage}
target=${4:-}
fail() { echo "pitr-restore.sh: $*" >&2; exit 1; }

[ -f "$base/backup_label" ] || fail "$base is not a base backup (no backup_label)"
[ -d "$wal" ] || fail "no WAL archive at $wal"
here=$(cd "$(dirname "$0")" && pwd)
case "$here$wal$target" in *"'"*) fail "paths and the target time must not contain a single quote" ;; esac
if [ -f "$data/postmaster.pid" ]; then fail "$data has a postmaster.pid: stop the server first"; fi
if [ -d "$data" ] && [ -n "$(ls -A "$data")" ]; then
    [ -n "$aside" ] || fail "$data is not empty: move it aside first (or give --move-aside DIR)"
    [ ! -e "$aside" ] || fail "$aside exists already"
    mkdir -p "$aside"
    for entry in "$data"/* "$data"/.[!.]*; do
        if [ -e "$entry" ]; then mv -- "$entry" "$aside"/; fi
    done
    echo "pitr-restore.sh: what was in $data is now in $aside"
fi

mkdir -p "$data"
chmod 0700 "$data"
cp -R -p "$base"/. "$data"/
{
    echo "# Point-in-time recovery set up by pitr-restore.sh on $(date -u '+%Y-%m-%d %H:%M:%S UTC'):"
    echo "# used only while recovering; remove these lines once the server is open."
    echo "restore_command = '$here/wal-fetch.sh %f %p $wal'"
    echo "recovery_target_action = 'promote'"
    if [ -n "$target" ]; then echo "recovery_target_time = '$target'"; fi
} >>"$data/postgresql.auto.conf"
touch "$data/recovery.signal"
echo "pitr-restore.sh: $data is ready; start the server to replay the WAL up to ${target:-the end of the archive}"
