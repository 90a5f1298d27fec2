#!/usr/bin/env bash
# The README's first command: install what is missing, build, and start the
# server on 127.0.0.1:50051 with the embedded defaults (data/screening.db and
# the default lists in lists/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
mkdir -p "$root/data"
exec "$root/build/server/screening-server" --listen 127.0.0.1:50051 \
  --db "$root/data/screening.db" --lists "$root/lists/sources.conf" "$@"
