#!/usr/bin/env bash
# The third-party plugin path, end to end (CTest: sdk_third_party_plugin):
#   1. install the Socrates build into a temporary prefix;
#   2. build examples/plugins/mean_baseline as a separate project with find_package(Socrates);
#   3. load it with socrates: plugins list / plugins describe / validate;
#   4. load it the way the host does and check its numbers (tests/sdk/mean_baseline_check).
#
#   third_party_plugin.sh SOURCE_DIR BUILD_DIR SOCRATES_EXE TORCH_PREFIX
#
# TORCH_PREFIX is LibTorch's prefix (or several, separated by ':' or ';'). Environment:
# CMAKE (default cmake), CXX (the compiler the host was built with). Exits non-zero on the
# first failed check.
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR SOCRATES_EXE TORCH_PREFIX" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
exe=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
torch_prefix=${4//:/;}
cmake=${CMAKE:-cmake}
unset SOCRATES_PLUGIN_PATH  # only what this script sets

tmp=$(mktemp -d "${TMPDIR:-/tmp}/socrates-sdk-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

step() { echo "== $*"; }
ok() { echo "   ok: $*"; }
fail() {
  echo "   FAIL: $*" >&2
  if [ -s "$log" ]; then
    echo "   --- output ---" >&2
    sed 's/^/   | /' "$log" >&2
  fi
  exit 1
}
# run CMD...: runs CMD with its output in $log; fails the test if it fails.
run() { "$@" >"$log" 2>&1 || fail "exit $? from: $*"; }
# expect PATTERN WHAT: $log must match the extended regex PATTERN.
expect() { grep -Eq -- "$1" "$log" || fail "$2 (no line matches /$1/)"; ok "$2"; }

gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

step "install $build into a temporary prefix"
prefix=$tmp/prefix
run "$cmake" --install "$build" --prefix "$prefix"
config=$(find "$prefix" -name SocratesConfig.cmake -print -quit)
[ -n "$config" ] || fail "no SocratesConfig.cmake under $prefix"
ok "package config ${config#"$prefix"/}"
for h in sdk.hpp plugin.hpp evaluator.hpp; do
  [ -f "$prefix/include/socrates/$h" ] || fail "include/socrates/$h not installed"
done
ok "SDK headers installed"
run "$prefix/bin/socrates" version
expect "^socrates [0-9]" "installed bin/socrates runs (finds LibTorch)"

step "build examples/plugins/mean_baseline out of tree with find_package(Socrates)"
ex=$tmp/ex-build
run "$cmake" -S "$src/examples/plugins/mean_baseline" -B "$ex" "${gen[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix;$torch_prefix"
socrates_dir=$(sed -n 's/^Socrates_DIR:PATH=//p' "$ex/CMakeCache.txt")
case "$socrates_dir" in
  "$prefix"/*) ok "found Socrates in the installed prefix ($socrates_dir)" ;;
  *) fail "find_package(Socrates) used '$socrates_dir', not the installed prefix $prefix" ;;
esac
run "$cmake" --build "$ex"
so=$ex/socrates_example_mean_baseline.so
[ -f "$so" ] || fail "$so was not built"
ok "built $(basename "$so")"

step "socrates plugins list"
SOCRATES_PLUGIN_PATH=$ex run "$exe" plugins list
expect "^evaluator +mean-baseline +1\.0\.0 +[0-9]+ +$so\$" "lists mean-baseline as an evaluator from $so"
SOCRATES_PLUGIN_PATH=$ex run "$prefix/bin/socrates" plugins list
expect "^evaluator +mean-baseline .*$so\$" "the installed socrates lists it too"

step "socrates plugins describe mean-baseline"
SOCRATES_PLUGIN_PATH=$ex run "$exe" plugins describe mean-baseline
expect '^mean-baseline \(evaluator\)' "describes mean-baseline"
# shellcheck disable=SC2016  # the backticks are literal
expect 'select with `plugin = "mean-baseline"` in \[\[evaluators\]\]' "names its slot [[evaluators]]"
for opt in use_stated_scale pairing use_distribution min_humans weighting per_cell_table; do
  expect "^  $opt " "option $opt"
done
expect '^  use_stated_scale +bool +default false$' "use_stated_scale is a bool defaulting to false"

step "socrates validate examples/plugins/mean_baseline/experiment.toml"
experiment=$src/examples/plugins/mean_baseline/experiment.toml
cd "$tmp"
SOCRATES_PLUGIN_PATH=$ex run "$exe" validate "$experiment"
expect "evaluator plugin 'mean-baseline' 1\.0\.0 \($so\)" "validate loads mean-baseline from $so"
expect ': valid \(' "the experiment is valid"

set +e
SOCRATES_PLUGIN_PATH=$ex "$exe" validate "$experiment" --set 'evaluators[0].min_humans=0' >"$log" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "validate with min_humans=0 exited $rc, expected 1"
expect "'evaluators\[0\]\.min_humans': must be at least 1, got 0" "the plugin's own check rejects min_humans = 0"

set +e
"$exe" validate "$experiment" >"$log" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "validate without SOCRATES_PLUGIN_PATH exited $rc, expected 1"
expect "unknown evaluator plugin 'mean-baseline'" "without SOCRATES_PLUGIN_PATH validate fails: unknown evaluator plugin"

step "mean-baseline computes the hand-worked numbers (tests/sdk/mean_baseline_check)"
chk=$tmp/check-build
run "$cmake" -S "$src/tests/sdk/mean_baseline_check" -B "$chk" "${gen[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix;$torch_prefix"
run "$cmake" --build "$chk"
"$chk/mean_baseline_check" "$so" >"$log" 2>&1 || fail "mean_baseline_check failed"
sed 's/^/   | /' "$log"
ok "all metrics match"

echo "sdk_third_party_plugin: all checks passed"
