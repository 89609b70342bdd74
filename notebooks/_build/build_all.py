"""Rebuild every course notebook from its build script: python notebooks/_build/build_all.py"""

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in sorted(HERE.glob("build_0*.py")):
        runpy.run_path(str(script), run_name="__main__")
        print("built", script.name)
