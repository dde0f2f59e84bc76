#!/usr/bin/env bash
# Installs the system packages the build needs when they are missing:
# OpenBLAS + LAPACKE (least squares in the statistics kernels), SQLite (the
# live strategy's durable state), libpq (the book-ticker store's client), zlib (gzip and zip market-data files), CMake + Ninja (the second build) and the
# PostgreSQL server (the book-ticker store's tests run against a throwaway cluster) and Chromium (the status
# page's headless-browser test). Idempotent; silent when all is present.
set -euo pipefail
export PATH="$PATH:/opt/swift/usr/bin"
needed=(libopenblas-dev liblapacke-dev libsqlite3-dev libpq-dev zlib1g-dev cmake ninja-build postgresql chromium)
missing=()
for package in "${needed[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi
command -v swift >/dev/null || { echo "swift not found (expected at /opt/swift/usr/bin)" >&2; exit 1; }
