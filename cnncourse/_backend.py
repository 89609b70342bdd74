"""Load the Numba kernels in the background so that the first call is fast.

Importing Numba and loading cached kernels costs about a second on a small
laptop, more than the rest of ``import cnncourse`` and a first convolution put
together. ``import cnncourse`` therefore starts a daemon thread that imports
:mod:`cnncourse._kernels` (and loads every cached kernel) while the student reads
the next cell. Until it is done, forward calls are served by the vectorised
NumPy versions in :mod:`cnncourse._numpy_kernels` (same results up to rounding);
backward calls wait for the kernels.

Set ``CNNCOURSE_BACKGROUND_LOAD=0`` to load the kernels on first use instead.

Imports run one way: :mod:`cnncourse._dispatch` asks this module for the kernels,
and this module imports :mod:`cnncourse._kernels` (inside the loader, so that
``import cnncourse`` itself never waits for Numba); neither imports back.
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_ready = threading.Event()
_module = None
_error: BaseException | None = None
_thread: threading.Thread | None = None
_retried = False


def _load() -> None:
    global _module, _error
    try:
        from . import _kernels  # here, not at the top: this import is what takes a second

        _kernels.load_cached()
        _module = _kernels
    except BaseException as exc:  # surfaced by kernels(wait=True)
        _error = exc
    finally:
        _ready.set()


def start() -> None:
    """Start loading the kernels in a daemon thread (once per process)."""
    global _thread
    if os.environ.get("CNNCOURSE_BACKGROUND_LOAD", "1") == "0":
        return
    with _lock:
        if _thread is None and not _ready.is_set():
            _thread = threading.Thread(target=_load, name="cnncourse-kernels", daemon=True)
            _thread.start()


def kernels(wait: bool = True):
    """The :mod:`cnncourse._kernels` module, or None while it is still loading and not ``wait``."""
    if _module is not None:
        return _module
    if not wait:
        if _thread is None:  # background loading disabled: load now
            return kernels(wait=True)
        return None
    with _lock:
        if _thread is None and not _ready.is_set():
            _load()
    _ready.wait()
    if _error is not None:
        _retry_in_this_thread()
    if _error is not None:
        raise RuntimeError(f"cnncourse: the Numba kernels failed to load: {_error!r}") from _error
    return _module


def _retry_in_this_thread() -> None:
    """Load once more, here, after the background load failed.

    Importing Numba in a thread while the main thread imports other modules can fail
    on a race inside the import machinery ("dictionary changed size during
    iteration", seen once in a notebook); a second load, in the caller's thread,
    does not race. A real failure (Numba missing, a broken cache) fails again and
    is raised.
    """
    global _error, _retried
    with _lock:
        if _error is None or _retried:
            return
        _retried = True
        _error = None
        _load()


def load_kernels() -> float:
    """Wait until the compiled Numba kernels are loaded; return the seconds waited.

    Right after ``import cnncourse`` the forward functions may still be served by
    the NumPy fallback (slower on large inputs). Call this before timing the
    library, so that the measurement is of the compiled kernels.

    Examples
    --------
    >>> import cnncourse
    >>> cnncourse.load_kernels() >= 0.0
    True
    """
    t0 = time.perf_counter()
    kernels(wait=True)
    return time.perf_counter() - t0
