#!/usr/bin/env bash
# Fails when a ctest carries none of the labels unit, integration and fuzz
# (tests/README.md), naming each such test: `ctest -L unit` is only the inner
# loop if every fast test is in it and every slow one is not.
# Usage: scripts/check-test-labels.sh [BUILD_DIR]   (default: build/)
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
cd "$build"
ctest --show-only=json-v1 | python3 -c '
import json, sys
tests = json.load(sys.stdin)["tests"]
wanted = {"unit", "integration", "fuzz"}
def labels(test):
    for prop in test.get("properties", []):
        if prop["name"] == "LABELS":
            return set(prop["value"])
    return set()
missing = [t["name"] for t in tests if not labels(t) & wanted]
counts = {l: sum(1 for t in tests if l in labels(t)) for l in sorted(wanted)}
print("check-test-labels: %d tests (%s), %d without one of them"
      % (len(tests), ", ".join("%s %d" % kv for kv in counts.items()), len(missing)))
for name in missing:
    print("  no label: " + name)
sys.exit(1 if missing else 0)'
