#!/usr/bin/env bash
# Makes (once) the Python environment the interoperability tests run the real
# libraries in: a venv under .build-python/ with pyarrow, polars and pandas from
# PyPI. Prints the venv's bin directory, for PATH:
#
#   export PATH="$(scripts/python-env.sh):$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-python/venv
packages=(pyarrow polars pandas)
if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python3" -c "import pyarrow, polars, pandas" 2>/dev/null; then
  echo "python-env: installing ${packages[*]} into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check "${packages[@]}" >&2
fi
echo "$PWD/$venv/bin"
