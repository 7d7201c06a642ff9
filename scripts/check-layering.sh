#!/usr/bin/env bash
# Fails when a host setting is read by string key outside core/config/ (the typed settings)
# or a plugin's own option code: `get<T>("key")` belongs in a *Settings::from or an options struct.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
hits=$(grep -rn --include='*.cpp' --include='*.hpp' -E 'get<[^>]+>\("' core | grep -v '^core/config/' || true)
if [ -n "$hits" ]; then
  echo "check-layering: host settings read by string key outside core/config/ (use the typed settings):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check-layering: ok (no get<T>(\"...\") outside core/config/)"
