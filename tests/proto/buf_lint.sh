#!/usr/bin/env bash
# Runs buf lint (DEFAULT rules, see proto/buf.yaml) over proto/, then buf
# breaking (FILE rules) against the API as first published (the commit that
# added proto/screening/v1/screening.proto): screening.v1 may only grow.
# Without buf (scripts/install-deps.sh puts it in .tools/) a developer's run
# skips, saying so (exit 77); with CI=true it fails: CI must never pass
# without the lint.
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

# The baseline comes from git history; without it (an exported tree, a
# shallow clone that lacks the commit) the breaking check is skipped, saying so.
if ! first=$(git -C "$root" log --diff-filter=A --format=%H -- proto/screening/v1/screening.proto 2>/dev/null | tail -1) ||
   [ -z "$first" ]; then
  echo "buf breaking: skipped (no git history of proto/screening/v1/screening.proto)"
  exit 0
fi
baseline=$(mktemp -d)
trap 'rm -rf "$baseline"' EXIT
git -C "$root" archive "$first" proto | tar -x -C "$baseline"
"$buf" breaking --against "$baseline/proto"
echo "buf breaking: ok against $first"
