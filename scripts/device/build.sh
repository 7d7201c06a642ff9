#!/usr/bin/env bash
# Run ON THE GPU MACHINE from the repo root: unpacks the carried .debs into a private
# sysroot and builds Socrates against the machine's own LibTorch (python3's torch).
#   scripts/device/build.sh [ninja targets...]
# Prints the environment to use afterwards: source /tmp/socrates-env.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
sysroot=/tmp/socrates-sysroot
mkdir -p "$sysroot"
for f in "$root"/.device/debs/*.deb; do dpkg -x "$f" "$sysroot"; done
torch_prefix=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
bdir=${SOCRATES_BUILD_DIR:-$root/build-gpu}
cat > /tmp/socrates-env.sh <<ENV
export LD_LIBRARY_PATH=$sysroot/usr/lib/x86_64-linux-gnu:\${LD_LIBRARY_PATH:-}
export SOCRATES_BUILD_DIR=$bdir
ENV
source /tmp/socrates-env.sh
export PKG_CONFIG_SYSROOT_DIR=$sysroot PKG_CONFIG_PATH=$sysroot/usr/lib/x86_64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig
gloo=()
[ -f "$root/.device/gloo-headers/include/gloo/context.h" ] && gloo=(-DSOCRATES_GLOO_INCLUDE_DIR="$root/.device/gloo-headers/include")
cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${gloo[@]}" \
  -DCMAKE_PREFIX_PATH="$sysroot/usr;$torch_prefix" -DBoost_ROOT="$sysroot/usr" \
  -DCMAKE_INCLUDE_PATH="$sysroot/usr/include" -DCMAKE_LIBRARY_PATH="$sysroot/usr/lib/x86_64-linux-gnu" \
  -DPKG_CONFIG_USE_CMAKE_PREFIX_PATH=ON -DSOCRATES_FIXTURES_DIR="$root/.device/fixtures" > "$bdir.configure.log" 2>&1 \
  || { tail -40 "$bdir.configure.log"; exit 1; }
cmake --build "$bdir" -j "$(nproc)" ${1:+--target "$@"}
