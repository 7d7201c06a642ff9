#!/usr/bin/env bash
# The test command: sets up (idempotent), builds, and runs every CPU test through CTest.
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -R config
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
bdir=${SOCRATES_BUILD_DIR:-$root/build}
cd "$bdir"
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"
