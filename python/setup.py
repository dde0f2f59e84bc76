"""Build hook: puts the engine's C library (libDeltaArbitrageC) into the package.

Where the library comes from, in order:

1. ``DELTAARB_LIBRARY``: the path of an already built library (the CMake
   build's ``.build-cmake/lib/libDeltaArbitrageC.so``, say, so the engine is
   not built twice);
2. otherwise ``swift build -c release --product DeltaArbitrageC`` in the
   repository (the directory above this one), which builds it or finds it up
   to date in ``.build/release``. ``swift`` is the one on PATH, else
   ``/opt/swift/usr/bin/swift``. The library it links carries the toolchain's
   runtime directory as its run path, so it finds the Swift runtime at import
   without LD_LIBRARY_PATH (the toolchain must stay installed);
3. without a Swift toolchain, an already built one in the repository's
   ``.build-cmake/lib`` or ``.build/release``.

No binary is committed: the library is always one built from these sources.
The wheel is tagged for this platform (it holds a native library), not as
pure Python.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 carries bdist_wheel; older ones take it from `wheel`
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover
    try:
        from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]
    except ImportError:  # no wheel to build (a legacy install without build isolation)
        bdist_wheel = None  # type: ignore[assignment,misc]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NAME = "libDeltaArbitrageC.dylib" if sys.platform == "darwin" else "libDeltaArbitrageC.so"
BUILD = ["build", "-c", "release", "--product", "DeltaArbitrageC"]
#: What building the library needs, for the messages when it cannot be built.
NEEDS = ("a Swift 6 toolchain (swift on PATH, e.g. export PATH=$PATH:/opt/swift/usr/bin; https://swift.org/install), "
         "the OpenBLAS, LAPACKE and zlib development packages (Debian: libopenblas-dev liblapacke-dev zlib1g-dev; "
         "scripts/install-deps.sh installs them), and, on the first build, network access to GitHub for the "
         "Swift package's dependencies")


def _swift() -> str | None:
    found = shutil.which("swift")
    if found:
        return found
    fallback = Path("/opt/swift/usr/bin/swift")
    return str(fallback) if fallback.exists() else None


def _swift_build(swift: str) -> Path:
    command = " ".join(["swift"] + BUILD)
    print(f"deltaarb: building {NAME} in {REPO} ({command}; a few minutes the first time)", file=sys.stderr)
    start = time.monotonic()
    try:
        subprocess.run([swift] + BUILD, cwd=REPO, check=True)
        built = subprocess.run([swift] + BUILD[:3] + ["--show-bin-path"], cwd=REPO, check=True,
                               capture_output=True, text=True).stdout.strip()
    except subprocess.CalledProcessError as error:
        raise SystemExit(
            f"deltaarb: `{command}` in {REPO} failed (exit status {error.returncode}; its output is above). "
            f"Building the engine needs {NEEDS}. Or set DELTAARB_LIBRARY to an already built {NAME}.") from None
    path = Path(built) / NAME
    if not path.is_file():
        raise SystemExit(f"deltaarb: `{command}` finished but {path} is missing")
    print(f"deltaarb: {NAME} ready in {time.monotonic() - start:.0f} s", file=sys.stderr)
    return path


def find_library() -> Path:
    named = os.environ.get("DELTAARB_LIBRARY")
    if named:
        path = Path(named).expanduser().resolve()
        if not path.is_file():
            raise SystemExit(f"deltaarb: DELTAARB_LIBRARY={named}: no such file")
        return path
    if not (REPO / "Package.swift").is_file():
        raise SystemExit(
            f"deltaarb: no Package.swift in {REPO}, so there is nothing to build the engine from; "
            f"install from the repository's python/ directory or set DELTAARB_LIBRARY to a built {NAME}")
    swift = _swift()
    if swift:
        return _swift_build(swift)
    for candidate in (REPO / ".build-cmake" / "lib" / NAME, REPO / ".build" / "release" / NAME):
        if candidate.is_file():
            print(f"deltaarb: no swift on PATH or at /opt/swift/usr/bin; using the built {candidate}",
                  file=sys.stderr)
            return candidate
    raise SystemExit(
        f"deltaarb: cannot build {NAME}: no `swift` on PATH or at /opt/swift/usr/bin, and no built one in "
        f"{REPO / '.build-cmake' / 'lib'} or {REPO / '.build' / 'release'}. Building it needs {NEEDS}. "
        f"Or set DELTAARB_LIBRARY to an already built {NAME}.")


class BuildWithEngine(build_py):
    """Copies the engine library into deltaarb/_lib of the build."""

    def run(self) -> None:
        super().run()
        library = find_library()
        target = Path(self.build_lib) / "deltaarb" / "_lib"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, target / NAME)
        print(f"deltaarb: packaged {library}", file=sys.stderr)


commands: dict = {"build_py": BuildWithEngine}
if bdist_wheel is not None:
    class PlatformWheel(bdist_wheel):  # type: ignore[misc,valid-type]
        """A wheel for this platform and any Python 3: the native library is
        loaded with ctypes, so it does not depend on the interpreter's ABI."""

        def finalize_options(self) -> None:
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self) -> tuple[str, str, str]:
            _, _, platform = super().get_tag()
            return "py3", "none", platform

    commands["bdist_wheel"] = PlatformWheel

setup(cmdclass=commands)
