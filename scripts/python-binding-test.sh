#!/usr/bin/env bash
# Tests the Python package `deltaarb` (python/): installs it with
# `pip install ./python` into its own venv (.build-python/deltaarb-venv, with
# pytest) and runs python/tests. DELTAARB_LIBRARY names an already built
# libDeltaArbitrageC (scripts/test.sh passes the CMake build's, so the engine
# is not built twice); without it pip builds the library with SwiftPM.
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
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./python >&2
export DELTA_ARB_CLI="${DELTA_ARB_CLI:-$PWD/.build-cmake/bin/delta-arb}"
# Run from outside python/ so that the installed package is the one imported.
exec "$venv/bin/pytest" -q -p no:cacheprovider "$PWD/python/tests" "$@"
