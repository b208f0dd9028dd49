#!/bin/sh
# The database container's entrypoint in deploy/compose.yaml: the backup folders under /backups, owned by
# the server's user (its archive_command writes wal/; the dump and base backup run as that user too),
# then the image's own entrypoint with the command given.
set -eu
for sub in wal dumps base; do
    mkdir -p "/backups/$sub"
done
chown postgres:postgres /backups/wal /backups/dumps /backups/base
chmod 0700 /backups/wal /backups/dumps /backups/base
exec docker-entrypoint.sh "$@"
