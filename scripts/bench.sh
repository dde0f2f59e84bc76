#!/usr/bin/env bash
# Builds the benchmark executable in release mode and runs it; results land in
# bench-results/. CPU-specific code generation (AVX2) is enabled here, not in
# Package.swift, so the package stays usable as a dependency. The peers need
# numpy, pandas, numba, statsmodels, ruptures, pyarrow and polars (pip installs them if absent).
#
#   scripts/bench.sh [--workloads 1d-100ms,10m-rows-100ms] [--peers none] ...
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh
python3 -c "import numpy, pandas, numba, statsmodels, ruptures, pyarrow, polars" 2>/dev/null \
  || pip install -q numpy pandas numba statsmodels ruptures pyarrow polars >&2 || echo "warning: peers incomplete" >&2
case " $* " in *db-read*) # its peer reads the store with asyncpg
  python3 -c "import asyncpg" 2>/dev/null || pip install -q asyncpg >&2 || echo "warning: no asyncpg, the db-read peer is skipped" >&2 ;;
esac
cpu_flags=()
grep -qw avx2 /proc/cpuinfo && cpu_flags=(-Xswiftc -target-cpu -Xswiftc haswell)
swift build -c release --product DeltaArbitrageBenchmarks --scratch-path .build-release "${cpu_flags[@]}" >&2
exec .build-release/release/DeltaArbitrageBenchmarks "$@"
