#!/usr/bin/env bash
# Makes (once) the venv the Ray batch test runs in: .build-ray/venv with
# distributed/requirements.txt (Ray, ~285 MB, under a minute to install).
# Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-ray/venv
if [ ! -x "$venv/bin/python3" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python3" -c "import ray" 2>/dev/null; then
  echo "ray-env: installing distributed/requirements.txt into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r distributed/requirements.txt >&2
fi
echo "$PWD/$venv/bin/python3"
