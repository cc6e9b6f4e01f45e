"""Build and install vnvc; `build_ext` compiles native/ (C++ rANS coder) into vnvc/_native through CMake."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def _version() -> str:
    text = (ROOT / "vnvc" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def _cmake() -> str:
    try:
        from cmake import CMAKE_BIN_DIR  # the pinned pip package
        return os.path.join(CMAKE_BIN_DIR, "cmake")
    except ImportError:
        found = shutil.which("cmake")
        if found is None:
            raise RuntimeError("cmake is needed to build vnvc._native: pip install cmake") from None
        return found


class CMakeExtension(Extension):
    def __init__(self, name: str, source_dir: Path):
        super().__init__(name, sources=[])
        self.source_dir = source_dir


class CMakeBuild(build_ext):
    """Configure and build each CMakeExtension (Release, -O3) with the running Python and pip's pybind11."""

    def build_extension(self, ext: Extension) -> None:
        if not isinstance(ext, CMakeExtension):
            return super().build_extension(ext)
        import pybind11

        out_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build_dir = Path(self.build_temp).resolve() / ext.name
        build_dir.mkdir(parents=True, exist_ok=True)
        cmake = _cmake()
        config = [
            f"-S{ext.source_dir}",
            f"-B{build_dir}",
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DCMAKE_LIBRARY_OUTPUT_DIRECTORY={out_dir}",
            f"-DCMAKE_LIBRARY_OUTPUT_DIRECTORY_RELEASE={out_dir}",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
        ]
        subprocess.run([cmake, *config], check=True)
        jobs = str(self.parallel or os.cpu_count() or 1)
        subprocess.run([cmake, "--build", str(build_dir), "--config", "Release", "-j", jobs], check=True)


setup(
    name="vnvc",
    version=_version(),
    description="VNVC: versatile neural video coding for human and machine vision",
    packages=find_packages(include=["vnvc*", "tasks*"]),
    python_requires=">=3.10",
    ext_modules=[CMakeExtension("vnvc._native", ROOT / "native")],
    cmdclass={"build_ext": CMakeBuild},
    entry_points={"console_scripts": ["vnvc=vnvc.cli:main"]},
    zip_safe=False,
)
