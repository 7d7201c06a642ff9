#!/usr/bin/env bash
# The main job: sets up (idempotent), builds, and runs the quickstart experiment.
#   scripts/quickstart.sh [--set section.key=value]...
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
bdir=${SOCRATES_BUILD_DIR:-$root/build}
cd "$root"
"$bdir/bin/socrates" validate experiments/quickstart.toml "$@"
"$bdir/bin/socrates" run experiments/quickstart.toml "$@"
