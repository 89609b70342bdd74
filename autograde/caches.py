"""Caches built once per grading run and copied into every job's work directory.

Every kernel runs in a fresh, private work directory; without these, each
notebook would compile the library's Numba kernels and rebuild matplotlib's font
list itself (seconds per submission).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .course import REPO_ROOT, Course


def warm_numba_cache(course: Course, log=print) -> Path | None:
    """Compile the library's kernels once into a per-course cache directory."""
    cache = course.root / "numba_cache"
    cache.mkdir(parents=True, exist_ok=True)
    # Seed from the library's own cache (``make`` set-up runs the warm-up): with
    # NUMBA_CACHE_DIR numba looks for the same files under CACHE_DIR/<dir>_<sha1(dir)>
    # (numba.core.caching._CacheLocator.get_suitable_cache_subpath).
    lib = (REPO_ROOT / "cnncourse").resolve()
    seeded = cache / f"{lib.name}_{hashlib.sha1(str(lib).encode()).hexdigest()}"
    pyc = lib / "__pycache__"
    if pyc.is_dir():
        seeded.mkdir(parents=True, exist_ok=True)
        for f in pyc.iterdir():
            dst = seeded / f.name
            if f.suffix in (".nbi", ".nbc") and (
                not dst.exists() or dst.stat().st_mtime < f.stat().st_mtime
            ):
                shutil.copy2(f, dst)  # new or refreshed since the last run
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-m", "cnncourse", "warmup"], env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        log(f"warning: numba warm-up failed; grading kernels will compile: {res.stderr[-500:]}")
        return None
    log(f"numba cache warm in {cache} ({time.monotonic() - t0:.1f} s)")
    return cache


def warm_matplotlib_cache(course: Course, log=print) -> Path | None:
    """Build matplotlib's font cache once per run, to copy into every work dir.

    Each kernel gets a fresh, private MPLCONFIGDIR; without a ready font list every
    notebook's first plot would rebuild it (seconds per submission).
    """
    mpl = course.root / "mplconfig"
    mpl.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLCONFIGDIR=str(mpl), MPLBACKEND="Agg")
    res = subprocess.run(
        [sys.executable, "-c", "import matplotlib.pyplot"], env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        log(f"warning: matplotlib font cache not built: {res.stderr[-300:]}")
        return None
    return mpl
