#!/usr/bin/env bash
# Gloo's headers, which the torch wheel does not ship (it exports Gloo's symbols from
# libtorch_cpu.so, and c10d's ProcessGroupGloo.hpp includes <gloo/...>). We take Debian's
# libgloo-dev package and unpack its include/ folder only: no root needed, nothing installed,
# and Debian's libgloo.so is never linked (libtorch already contains Gloo).
#   scripts/fetch-gloo-headers.sh [DEST]     (default: .cache/gloo-headers)
# Prints the include directory. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/.cache/gloo-headers}
if [ -f "$dest/include/gloo/context.h" ]; then
  echo "$dest/include"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download libgloo-dev >/dev/null 2>"$work/err"; then
  # The package lists may be missing on a fresh machine.
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  apt-get download libgloo-dev >/dev/null 2>"$work/err" || {
    cat "$work/err" >&2
    echo "fetch-gloo-headers: 'apt-get download libgloo-dev' failed; the ddp and zero2 plugins need Gloo's headers" >&2
    exit 1
  }
fi
dpkg -x libgloo-dev_*.deb unpacked
mkdir -p "$dest"
rm -rf "$dest/include"
cp -r unpacked/usr/include "$dest/include"
rm -rf "$dest/include/gloo/cuda"* 2>/dev/null || true
ls libgloo-dev_*.deb > "$dest/SOURCE"
echo "$dest/include"
