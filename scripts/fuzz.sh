#!/usr/bin/env bash
# Runs every fuzz target of the module for a while each.
#
#   scripts/fuzz.sh              # 1 minute per target
#   FUZZTIME=10m scripts/fuzz.sh # deeper runs
#   scripts/fuzz.sh ./csp        # only the targets of some packages
#
# A crasher is written by `go test` to <pkg>/testdata/fuzz/<Target>/; fix the
# bug and commit the file, so the input stays a seed that `go test` replays.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export GOTOOLCHAIN=go1.26.10 # the toolchain go.mod names; see .ci/run
fuzztime=${FUZZTIME:-1m}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
for pkg in $(go list "${pkgs[@]}"); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
