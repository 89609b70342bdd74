"""Trusted checks behind the graded exercises of the course notebooks (nbgrader).

Not part of the public API. Two kinds of helpers live here:

* ``explain_*`` functions, used by the *visible* test cells: given a wrong answer
  they say in Spanish which classic mistake it looks like (kernel flipped, output
  one element too long, channels not summed, rows and columns swapped, ...).
* ``trusted(namespace)``, used by the *hidden* tests. It loads a fresh copy of this
  package from disk (bypassing ``sys.modules``), audits the kernel for tampering and
  returns the fresh package, whose ``hidden_*`` functions run the exercise checks.

Layout:

* ``_core.py``: the tamper-proof machinery (primitives from literals, the snapshot,
  the audit, the fresh loading, strict float comparison, reference loops on lists,
  the guards used while a student function runs);
* ``nb01.py``, ``nb02.py``, ...: the ``explain_*`` and ``hidden_*`` functions of one
  notebook each, built on ``_core`` (imported with ``from ._core import ...``).

Notebooks write ``import cnncourse._grading as checks; checks.explain_conv2d(...)`` and
``_grading.trusted(globals()).hidden_conv2d(...)``: ``__all__`` names what they use,
``trusted`` and the ``explain_*`` and ``hidden_*`` functions listed in each notebook
module's ``__all__``. The package also holds every other name of its modules (see
``_core._exports``), private helpers included, as when it was a single module: the audit
then compares each name a notebook can reach as ``cnncourse._grading.<name>`` with the
code on disk.

Adding the checks of a new notebook (say 07): write ``nb07.py`` next to ``nb01.py``
(module docstring, ``from ._core import ...`` for what it uses, its ``explain_*`` and
``hidden_*`` functions named in its ``__all__``; keep to the strict primitives of
``_core`` in hidden checks), then add ``"nb07"`` to ``NOTEBOOKS`` below. That is all: the
package re-exports its names, ``trusted()`` loads a fresh copy of it wired to the fresh
``_core``, and the audit checks that ``cnncourse._grading.nb07`` in ``sys.modules`` still
has the code on disk. Names must be unique across the notebook modules (the package holds
them all).

Why so careful: a student cell runs in the same Python process as the tests. It
can rebind ``np.allclose`` to ``lambda *a, **k: True``, turn ``np.testing`` into
no-ops, replace ``cnncourse.conv2d`` with its own function, shadow builtins, or
return an object whose ``__eq__`` always says True. So the hidden checks

1. refuse to run when numpy, cnncourse, builtins, IPython's traceback display or
   this package's modules were replaced since the setup cell imported this package (a
   snapshot taken then) or look replaced now (functions whose code lives outside
   numpy's or cnncourse's files, builtins that are no longer the C functions of
   ``builtins``);
2. accept only a result whose type is exactly ``numpy.ndarray`` (checked with a
   ``type`` taken from a literal, ``().__class__.__class__``, which no rebinding
   reaches) with a float dtype, converted with ``ndarray.tolist`` (a method of an
   immutable C type) to plain Python floats;
3. compare those floats one by one with plain arithmetic against expected values
   computed here by pure-Python loops on lists, from inputs generated here
   (random sizes, seeded from ``os.urandom`` so answers cannot be hard-coded).

An in-process check can never be perfect (a student who writes a fake
``cnncourse._grading`` into ``sys.modules`` before the hidden test runs, or who
patches ``importlib``, can still fool it); the grading pipeline should also look
at the cell's execution status, not only at its outputs.
"""

from __future__ import annotations

from . import _core

# One module per graded notebook, in this folder (see "Adding the checks" above).
NOTEBOOKS = ("nb01", "nb02", "nb03", "nb04", "nb05", "nb06")

__all__ = ["trusted"]  # and, below, the __all__ of every notebook module

globals().update(_core._exports(_core))
for _name in NOTEBOOKS:
    globals()[_name] = _core._submodule(__name__, _name)
    globals().update(_core._exports(globals()[_name]))
    __all__ += globals()[_name].__all__
del _name


def trusted(namespace=None):
    """A fresh copy of this package, loaded from disk, after a tamper audit.

    Hidden test cells call ``trusted(globals())`` and then its ``hidden_*`` checks. The
    copy (``_core`` and every notebook module, under a throwaway name that is not left
    in ``sys.modules``) runs its own audit against the snapshot this package took when
    the setup cell imported it.
    """
    return _core._trusted(namespace)
