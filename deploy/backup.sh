#!/bin/sh
# Back up Tandir's PostgreSQL database: one pg_dump archive (custom format, compressed) per run
# in TANDIR_BACKUP_DIR, checked readable, older ones than TANDIR_BACKUP_KEEP_DAYS removed.
#
#   TANDIR_DATABASE_URL=postgres://tandir:...@127.0.0.1:5432/tandir \
#   TANDIR_BACKUP_DIR=/var/backups/tandir deploy/backup.sh
#
# Prints the archive's path. Run daily by deploy/tandir-backup.timer (see docs/deploy.md).
set -eu

: "${TANDIR_DATABASE_URL:?set TANDIR_DATABASE_URL to the database to back up}"
dir="${TANDIR_BACKUP_DIR:-/var/backups/tandir}"
keep_days="${TANDIR_BACKUP_KEEP_DAYS:-30}"
bin="${PG_BIN:+$PG_BIN/}"

case "$TANDIR_DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: TANDIR_DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac

umask 077  # the archive holds every person's record
mkdir -p "$dir"
archive="$dir/tandir-$(date -u +%Y%m%dT%H%M%SZ).dump"

# Written under a temporary name first, so a failed run never looks like a good backup.
"${bin}pg_dump" --format=custom --file="$archive.partial" --dbname="$TANDIR_DATABASE_URL"
"${bin}pg_restore" --list "$archive.partial" >/dev/null
mv "$archive.partial" "$archive"

find "$dir" -maxdepth 1 -name 'tandir-*.dump' -mtime "+$keep_days" -delete
echo "$archive"
