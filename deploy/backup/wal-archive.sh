#!/bin/sh
# PostgreSQL's archive_command: keep each finished WAL segment, compressed, in the archive folder.
#
#   archive_command = '/opt/mlf-backup/wal-archive.sh %p %f /var/backups/mlf/wal'
#
# Written to a temporary name, flushed, then renamed: a segment in the archive is always whole. A segment
# archived before with the same content is accepted again (PostgreSQL retries after a crash); a different
# one under the same name is refused (two servers archiving into one folder), and PostgreSQL keeps the
# segment and retries, saying so in its log.
set -eu
path=${1:?usage: wal-archive.sh %p %f ARCHIVE_DIR}
name=${2:?usage: wal-archive.sh %p %f ARCHIVE_DIR}
dir=${3:?usage: wal-archive.sh %p %f ARCHIVE_DIR}
target="$dir/$name.gz"
if [ -e "$target" ]; then
    if gzip -dc "$target" | cmp -s - "$path"; then exit 0; fi
    echo "wal-archive.sh: $target exists with other content: refusing to overwrite it" >&2
    exit 1
fi
mkdir -p "$dir"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT
gzip -c -1 <"$path" >"$partial"
sync "$partial" 2>/dev/null || sync
mv "$partial" "$target"
trap - EXIT
