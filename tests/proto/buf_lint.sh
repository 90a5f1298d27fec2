#!/usr/bin/env bash
# Runs buf lint (DEFAULT rules, see proto/buf.yaml) over proto/.
set -euo pipefail
root=$1
buf="$root/.tools/node_modules/.bin/buf"
if [ ! -x "$buf" ]; then
  echo "SKIP: buf is not installed (run scripts/install-deps.sh)"
  exit 77
fi
grep -q "DEFAULT" "$root/proto/buf.yaml" || { echo "proto/buf.yaml must use the DEFAULT lint rules"; exit 1; }
cd "$root/proto"
"$buf" lint
echo "buf lint: ok"
