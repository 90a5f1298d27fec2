#!/usr/bin/env bash
# Runs buf lint (DEFAULT rules, see proto/buf.yaml) over proto/. Without buf
# (scripts/install-deps.sh puts it in .tools/) a developer's run skips, saying
# so (exit 77); with CI=true it fails: CI must never pass without the lint.
set -euo pipefail
root=$1
buf="$root/.tools/node_modules/.bin/buf"
if [ ! -x "$buf" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: buf is not installed at $buf, and CI=true: the lint must run (run scripts/install-deps.sh)"
    exit 1
  fi
  echo "SKIP: buf is not installed (run scripts/install-deps.sh)"
  exit 77
fi
grep -q "DEFAULT" "$root/proto/buf.yaml" || { echo "proto/buf.yaml must use the DEFAULT lint rules"; exit 1; }
cd "$root/proto"
"$buf" lint
echo "buf lint: ok"
