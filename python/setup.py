"""Build hook: puts the engine's C library (libDeltaArbitrageC) into the package.

Where the library comes from, in order:

1. ``DELTAARB_LIBRARY``: the path of an already built library (CI points it at
   the CMake build's ``.build-cmake/lib/libDeltaArbitrageC.so``, so the engine
   is not built twice);
2. otherwise ``swift build -c release --product DeltaArbitrageC`` in the
   repository (the directory above this one), which builds it or finds it up
   to date in ``.build/release``;
3. without a Swift toolchain, an already built one in the repository's
   ``.build-cmake/lib`` or ``.build/release``.

No binary is committed: the library is always one built from these sources.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NAME = "libDeltaArbitrageC.dylib" if sys.platform == "darwin" else "libDeltaArbitrageC.so"


def _swift() -> str | None:
    found = shutil.which("swift")
    if found:
        return found
    fallback = Path("/opt/swift/usr/bin/swift")
    return str(fallback) if fallback.exists() else None


def find_library() -> Path:
    named = os.environ.get("DELTAARB_LIBRARY")
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            raise SystemExit(f"DELTAARB_LIBRARY={named}: no such file")
        return path
    if not (REPO / "Package.swift").is_file():
        raise SystemExit(
            f"deltaarb: no Package.swift in {REPO}; set DELTAARB_LIBRARY to a built {NAME}")
    swift = _swift()
    if swift:
        print(f"deltaarb: building {NAME} (swift build -c release --product DeltaArbitrageC)", file=sys.stderr)
        subprocess.run([swift, "build", "-c", "release", "--product", "DeltaArbitrageC"], cwd=REPO, check=True)
        built = subprocess.run([swift, "build", "-c", "release", "--show-bin-path"], cwd=REPO, check=True,
                               capture_output=True, text=True).stdout.strip()
        path = Path(built) / NAME
        if path.is_file():
            return path
        raise SystemExit(f"deltaarb: swift build finished but {path} is missing")
    for candidate in (REPO / ".build-cmake" / "lib" / NAME, REPO / ".build" / "release" / NAME):
        if candidate.is_file():
            return candidate
    raise SystemExit(
        f"deltaarb: no Swift toolchain to build {NAME} and no built one found; "
        "install Swift (https://swift.org) or set DELTAARB_LIBRARY")


class BuildWithEngine(build_py):
    """Copies the engine library into deltaarb/_lib of the build."""

    def run(self) -> None:
        super().run()
        library = find_library()
        target = Path(self.build_lib) / "deltaarb" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, target / NAME)
        print(f"deltaarb: packaged {library}", file=sys.stderr)


setup(cmdclass={"build_py": BuildWithEngine})
