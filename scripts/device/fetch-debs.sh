#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with network): downloads the Debian packages the GPU
# machine lacks into .device/debs (git-ignored), to be carried there by the device tool.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mkdir -p "$root/.device/debs"
cd "$root/.device/debs"
pkgs=(libtomlplusplus-dev libtomlplusplus3 libboost1.74-dev libboost-program-options1.74-dev
      libboost-program-options1.74.0 nlohmann-json3-dev libpcre2-dev libpcre2-8-0 libutf8proc-dev libutf8proc2
      libssl-dev)
for p in "${pkgs[@]}"; do
  ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p" >/dev/null
done
# Gloo's headers for the ddp and zero2 plugins (nothing can be fetched on the GPU machine).
"$root/scripts/fetch-gloo-headers.sh" "$root/.device/gloo-headers" >/dev/null
du -sh "$root/.device"
