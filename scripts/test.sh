#!/usr/bin/env bash
# The test command: installs what is missing, builds the package with its
# tests (failing on any warning in the project's own sources), checks the CSV
# loader's quotient exhaustively (scripts/check-decimal-quotients.swift), builds the
# library targets and the CLI with CMake + Ninja, tests the Python package
# `deltaarb` (pip building its C library with SwiftPM, compared with the
# CMake-built one), then runs `swift test`
# with a throwaway PostgreSQL cluster (scripts/with-postgres.sh) and a Python
# venv holding pyarrow, polars and pandas (scripts/python-env.sh), so the
# database and interoperability tests always run here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh

log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" >&2
if grep -E "^$PWD/(Sources|Tests|Benchmarks)/.*: warning:" "$log" >&2; then
  echo "error: the build has warnings (warnings are bugs)" >&2
  exit 1
fi

# The CSV loader's division-free quotient against the division, on all 8·10^8 inputs of its domain.
swiftc -O scripts/check-decimal-quotients.swift -lm -o .build/check-decimal-quotients >&2
.build/check-decimal-quotients >&2

cmake -G Ninja -S . -B .build-cmake -DCMAKE_BUILD_TYPE=Release >&2
cmake --build .build-cmake >&2
.build-cmake/bin/delta-arb --help >/dev/null

# The Python package as a user installs it: `pip install ./python` builds the
# C library itself with SwiftPM in release mode (about two minutes); pytest,
# including a check that it computes what the CMake-built library computes.
CI="${CI:-1}" DELTAARB_COMPARE_LIBRARY="$PWD/.build-cmake/lib/libDeltaArbitrageC.so" scripts/python-binding-test.sh

python_bin=$(scripts/python-env.sh)
# CI=1: a test whose component (PostgreSQL, pyarrow, Chromium) is missing fails instead of skipping.
CI="${CI:-1}" PATH="$python_bin:$PATH" scripts/with-postgres.sh scripts/swift-tests.sh

# The Ray batch test on a real local cluster (fails, never skips, without Ray).
"$(scripts/ray-env.sh)" distributed/test_ray_batch.py --delta-arb .build/debug/delta-arb
