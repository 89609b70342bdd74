"""Instructor side of cnncourse: release, collect, sandboxed autograding, feedback, reports.

The command line is ``cnncourse-grade`` (:mod:`autograde.cli`); the course
directory layout is described in :mod:`autograde.course`, the sandbox in
:mod:`autograde.sandbox`.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
