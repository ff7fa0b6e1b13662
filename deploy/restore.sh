#!/bin/sh
# Restore a deploy/backup.sh archive into a PostgreSQL database, in one transaction: either the
# whole backup is restored or nothing changes.
#
#   deploy/restore.sh /var/backups/tandir/tandir-20260301T013000Z.dump \
#     postgres://tandir:...@127.0.0.1:5432/tandir_restored
#
# The target should be a new, empty database (createdb -O tandir tandir_restored); tables
# that already exist there are dropped and replaced. See docs/deploy.md, "Restoring".
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: restore.sh ARCHIVE DATABASE_URL" >&2
  exit 2
fi
archive=$1
target=$2
bin="${PG_BIN:+$PG_BIN/}"

[ -r "$archive" ] || { echo "restore.sh: cannot read $archive" >&2; exit 2; }
"${bin}pg_restore" --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname="$target" "$archive"
echo "restored $archive"
