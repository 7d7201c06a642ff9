#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with network): downloads the Debian packages the GPU
# machine lacks into .device/debs (git-ignored), to be carried there by the device tool, with
# the anchor's bitsandbytes wheel and the fixtures.
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
# The benchmark anchor's bitsandbytes (the GPU machine has transformers and PEFT), unpacked into
# .device/site with only the CUDA 13.0 library, to stay under the device tool's size limit.
if [ ! -f "$root/.device/site/bitsandbytes/libbitsandbytes_cuda130.so" ]; then
  whl=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_24_x86_64 -d "$whl" bitsandbytes==0.50.2
  mkdir -p "$root/.device/site" && (cd "$root/.device/site" && unzip -q -o "$whl"/bitsandbytes-*.whl)
  find "$root/.device/site/bitsandbytes" -name 'libbitsandbytes_*.so' ! -name libbitsandbytes_cuda130.so -delete
  rm -rf "$whl"
fi
# Fixtures for the GPU golden tests (../shared does not travel).
[ -d "$root/.device/fixtures" ] || cp -r "$root/../shared/fixtures" "$root/.device/fixtures"
du -sh "$root/.device"
