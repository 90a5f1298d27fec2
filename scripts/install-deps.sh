#!/usr/bin/env bash
# Installs what a fresh Debian bookworm machine lacks to build, run and test the
# service. Idempotent: does nothing when everything is there. Needs root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libsqlite3-dev libssl-dev libcurl4-openssl-dev libxml2-dev libxxhash-dev
  libspdlog-dev libcli11-dev libcpp-httplib-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3 python3-grpcio python3-protobuf
  sqlite3 openssl
  # PostgreSQL: libpq for the shared store; the server (15) for the tests,
  # which start their own instance (tests/support/postgres_server.h).
  libpq-dev postgresql
)
# npm fetches buf. A machine whose Node.js comes from elsewhere (e.g. NodeSource,
# which bundles npm and conflicts with Debian's npm) already has it.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# buf (protobuf linter) comes from the npm registry; kept inside the tree, ignored by git.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/.tools/node_modules/.bin/buf" ]; then
  echo "install-deps: installing @bufbuild/buf from npm into .tools/"
  mkdir -p "$root/.tools"
  npm install --silent --no-audit --no-fund --prefix "$root/.tools" @bufbuild/buf@1 >/dev/null
fi
