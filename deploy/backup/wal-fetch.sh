#!/bin/sh
# PostgreSQL's restore_command during a point-in-time recovery: one segment (or history file) back from
# the archive folder wal-archive.sh fills.
#
#   restore_command = '/opt/mlf-backup/wal-fetch.sh %f %p /var/backups/mlf/wal'
#
# A file that is not in the archive ends the recovery there (exit status 1, as PostgreSQL expects).
set -eu
name=${1:?usage: wal-fetch.sh %f %p ARCHIVE_DIR}
path=${2:?usage: wal-fetch.sh %f %p ARCHIVE_DIR}
dir=${3:?usage: wal-fetch.sh %f %p ARCHIVE_DIR}
[ -f "$dir/$name.gz" ] || exit 1
gzip -dc "$dir/$name.gz" >"$path.partial"
mv "$path.partial" "$path"
