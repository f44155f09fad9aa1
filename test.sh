#!/usr/bin/env bash
# Runs every test of FunctionalAD and ends with the line "N passed, N failed[, N skipped]",
# counted from the test results (TRX files), not from console text.
set -uo pipefail
cd "$(dirname "$0")"

# The OpenBLAS provider's tests need Debian's OpenBLAS (it also exports LAPACK). Install it when
# missing and we are root on a Debian-like system; without it the library still works on the
# managed provider and those tests say what to install.
if ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing libopenblas0-pthread (native BLAS/LAPACK for the OpenBLAS provider)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread >/dev/null
  fi
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet test FunctionalAD.sln -c Release --logger trx --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0; files=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value total) - $(value executed)))
  # A test host that crashed (a stack overflow, say) leaves a run-level error and no results
  # for the tests it did not reach: count the run as one failure so it cannot pass unnoticed.
  if grep -q '<RunInfo [^>]*outcome="Error"' "$trx"; then
    echo "A test run ended with an error (its test host crashed or aborted): $(basename "$trx")"
    failed=$((failed + 1))
  fi
done
if [ "$files" = 0 ] || { [ "$status" != 0 ] && [ "$failed" = 0 ]; }; then
  # The build or the test host failed before results were written: that is a failure too.
  failed=$((failed + 1))
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
