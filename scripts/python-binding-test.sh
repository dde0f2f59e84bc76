#!/usr/bin/env bash
# Tests the Python package `deltaarb` (python/): installs it with
# `pip install ./python` into its own venv (.build-python/deltaarb-venv, with
# pytest) and runs python/tests. Without DELTAARB_LIBRARY pip builds the
# library itself (`swift build -c release --product DeltaArbitrageC`, what a
# user's `pip install ./python` does; scripts/test.sh tests that path);
# DELTAARB_LIBRARY names an already built libDeltaArbitrageC to package
# instead. DELTAARB_COMPARE_LIBRARY names another build (scripts/test.sh: the
# CMake build's) that python/tests/test_library.py checks computes the same.
# DELTA_ARB_CLI (default: the CMake build's) is the CLI the parity tests run.
# With CI set, a missing CLI fails the tests instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
venv=.build-python/deltaarb-venv
if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python3" -c "import numpy, pandas, pytest" 2>/dev/null; then
  echo "python-binding-test: installing numpy, pandas, pytest into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check numpy pandas pytest >&2
fi
start=$SECONDS
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./python >&2
echo "python-binding-test: pip install ./python took $((SECONDS - start)) s" \
  "(library: ${DELTAARB_LIBRARY:-built by pip with swift build -c release})" >&2
export DELTA_ARB_CLI="${DELTA_ARB_CLI:-$PWD/.build-cmake/bin/delta-arb}"
# Run from outside python/ so that the installed package is the one imported.
exec "$venv/bin/pytest" -q -p no:cacheprovider "$PWD/python/tests" "$@"
