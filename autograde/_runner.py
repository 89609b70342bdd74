"""Execute one prepared notebook, cell by cell, and report what happened.

This file runs *inside* the sandbox (bubblewrap + rlimits), as a plain script:
``python _runner.py`` reading a JSON configuration line and then the prepared
notebook from stdin, so the hidden tests are never in a file student code can
read. It depends only on nbformat and nbclient, so it never imports the grader
(nor anything that knows where the gradebook or hidden tests live).

What it does, and why it is not ``nbclient.execute``:

* Each code cell gets ``cell_timeout`` seconds. On a timeout the kernel is
  interrupted and probed; a kernel that answers (a Python loop caught by
  ``KeyboardInterrupt``) keeps going. A kernel that does not answer (a Numba
  ``@njit`` loop cannot be interrupted) is killed, the cell is marked, and a fresh
  kernel replays the notebook without that cell, so one bad cell does not cost
  the student the other exercises.
* A kernel that dies (``os._exit``, SIGKILL, SIGXCPU from the CPU cap) is handled
  the same way, recording the exit code.
* After every cell an injected, randomly named check compares the identity of
  the functions in numpy, numpy.testing, math, builtins and cnncourse with a
  snapshot taken before any student code ran: rebinding any of them is recorded.
* The executed notebook is printed on stdout, followed by a line with an HMAC of
  its bytes (keyed with a secret read from stdin) and its length, so the parent
  can tell a notebook written by this runner from one forged by student code.
  The kernel's stdout is /dev/null: only the runner writes there.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time

CHECK_MODULES = (
    "builtins",
    "numpy",
    "numpy.testing",
    "numpy.linalg",
    "math",
    "cnncourse",
    "cnncourse.functional",
    "cnncourse.reference",
)
# builtins IPython itself re-binds on every execution
VOLATILE_BUILTINS = (
    "exit",
    "quit",
    "get_ipython",
    "display",
    "help",
    "copyright",
    "credits",
    "license",
    "input",
    "raw_input",
)


def _integrity_source(name: str) -> str:
    return f"""
def {name}(_base={{}}, _id=id, _vars=vars, _list=list, _callable=callable,
        _sys=__import__("sys"), _mods={CHECK_MODULES!r}, _skip={VOLATILE_BUILTINS!r}):
    cur = {{}}
    for m in _mods:
        mod = _sys.modules.get(m)
        if mod is None:
            continue
        cur[m] = _id(mod)
        for k, v in _list(_vars(mod).items()):
            if k[:1] == "_" or (m == "builtins" and k in _skip):
                continue
            if _callable(v):
                cur[m + "." + k] = _id(v)
    if not _base:
        _base.update(cur)
        return "ok:baseline"
    bad = [k for k, v in _base.items() if cur.get(k) != v]
    for k, v in cur.items():
        _base.setdefault(k, v)
    for k in bad:
        _base[k] = cur.get(k)
    return "ok" if not bad else "changed:" + ",".join(bad[:20])
for _m in {CHECK_MODULES!r}:
    try:
        __import__(_m)
    except Exception:
        pass
del _m
"""


def _numba_stats_source() -> str:
    return """
def _cg_numba_stats():
    import sys
    hits = misses = 0
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith("cnncourse"):
            continue
        for obj in list(vars(mod).values()):
            st = getattr(obj, "stats", None)
            if st is not None and hasattr(st, "cache_hits"):
                hits += sum(st.cache_hits.values())
                misses += sum(st.cache_misses.values())
    return "%d %d" % (hits, misses)
"""


def _set_not_dumpable() -> None:
    """Forbid same-uid processes (student code) from reading this process' memory."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except Exception:  # pragma: no cover - not Linux
        pass


def _cancel_others() -> None:
    current = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not current:
            task.cancel()


def _error_output(ename: str, evalue: str):
    from nbformat.v4 import new_output

    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class Runner:
    def __init__(self, nb, cfg: dict):
        self.nb = nb
        self.cfg = cfg
        self.cell_timeout = float(cfg.get("cell_timeout", 30))
        self.probe_timeout = float(cfg.get("probe_timeout", 5))
        self.max_sessions = int(cfg.get("max_sessions", 4))
        self.check_name = "_cg_" + os.urandom(6).hex()
        self.events: dict[int, dict] = {}  # cell index -> what happened
        self.skip: set[int] = set()
        self.tamper: list[dict] = []
        self.replies: dict[int, dict] = {}  # cell index -> execute reply content
        self.numba = None
        self.sessions = 0
        self.not_run: list[int] = []
        # `check` stops at the first cell that times out (the later test cells would call
        # the same slow function and time out again); grading goes on, for the points
        self.stop_on_timeout = bool(cfg.get("stop_on_timeout", False))
        self.stopped_at: int | None = None

    def _client(self):
        from nbclient import NotebookClient

        def on_executed(cell, cell_index, execute_reply):
            self.replies[cell_index] = (execute_reply or {}).get("content", {})

        return NotebookClient(
            self.nb,
            on_cell_executed=on_executed,
            timeout=self.cell_timeout,
            kernel_name=self.cfg.get("kernel_name", "python3"),
            allow_errors=True,
            interrupt_on_timeout=False,
            shutdown_kernel="immediate",
            startup_timeout=int(self.cfg.get("startup_timeout", 60)),
            iopub_timeout=4,
            resources={"metadata": {"path": os.getcwd()}},
        )

    async def _silent(self, client, code: str, expr: str | None, timeout: float):
        """Run code that is not part of the notebook, silently; return ``expr``'s repr.

        Uses the execute reply (``user_expressions``), not IOPub, so nothing the
        notebook displayed before can get in the way.
        """
        exprs = {"r": expr} if expr else {}
        msg_id = client.kc.execute(code, silent=True, store_history=False, user_expressions=exprs)
        old = client.timeout
        client.timeout = None
        try:
            reply = await asyncio.wait_for(client.async_wait_for_reply(msg_id), timeout)
        finally:
            client.timeout = old
        if reply is None:
            raise RuntimeError("no reply")
        content = reply.get("content", {})
        if content.get("status") != "ok":
            return f"error:{content.get('ename')}:{content.get('evalue')}"
        if not expr:
            return "ok"
        res = content.get("user_expressions", {}).get("r", {})
        if res.get("status") != "ok":
            return f"error:{res.get('ename')}:{res.get('evalue')}"
        return str(res.get("data", {}).get("text/plain", "")).strip().strip("'\"")

    def _exit_code(self, client):
        try:
            proc = client.km.provisioner.process
            return proc.poll() if proc is not None else None
        except Exception:
            return None

    def _check_reply(self, cell, i) -> None:
        """A cell whose execute reply is an error must show an error output.

        Student code can silence IPython's traceback display (e.g. by replacing
        ``get_ipython()._showtraceback``): the failing cell then has no error output
        and nbgrader's scoring would give it full points. The kernel's reply still
        says ``status: error``; trust that, restore the error and flag the cell.
        """
        content = self.replies.get(i) or {}
        if content.get("status") != "error":
            return
        if any(o.get("output_type") == "error" for o in cell.outputs):
            return
        ename = str(content.get("ename", "Error"))
        evalue = str(content.get("evalue", ""))[:300]
        cell.outputs.append(_error_output(ename, evalue))
        self.tamper.append(
            {"cell": i, "detail": f"error {ename} raised but its traceback was not displayed"}
        )

    async def run(self) -> None:
        stop = self.cfg.get("stop_after")
        code_cells = [
            i
            for i, c in enumerate(self.nb.cells)
            if c.cell_type == "code" and (stop is None or i <= stop)
        ]
        done = False
        while not done and self.sessions < self.max_sessions:
            self.sessions += 1
            done = await self._session(code_cells)
        if not done:
            self.not_run = [i for i in code_cells if i not in self.skip]
            for i in self.not_run:
                cell = self.nb.cells[i]
                cell.outputs = [
                    _error_output("NotRunError", "no se ejecutó: el kernel falló demasiadas veces")
                ]

    async def _session(self, code_cells) -> bool:
        client = self._client()
        client.km = client.create_kernel_manager()
        # the kernel's stdout is not ours: only the runner writes the result there
        await client.async_start_new_kernel(stdout=subprocess.DEVNULL)
        await client.async_start_new_kernel_client()
        try:
            base = await self._silent(
                client, _integrity_source(self.check_name), f"{self.check_name}()", 60
            )
            if base != "ok:baseline":
                self.tamper.append({"cell": -1, "detail": f"integrity baseline failed: {base}"})
            for i in code_cells:
                if i in self.skip:
                    continue
                cell = self.nb.cells[i]
                cell.outputs = []
                cell.execution_count = None
                t0 = time.monotonic()
                try:
                    await client.async_execute_cell(cell, i)
                except Exception as exc:  # timeouts, dead kernels
                    from nbclient.exceptions import CellTimeoutError, DeadKernelError

                    _cancel_others()
                    if isinstance(exc, CellTimeoutError):
                        await client.km.interrupt_kernel()
                        try:
                            await self._silent(client, "pass", None, self.probe_timeout)
                            alive = True
                        except Exception:
                            _cancel_others()
                            alive = False
                        if alive:
                            self.events[i] = {"event": "timeout", "seconds": self.cell_timeout}
                            cell.outputs = [
                                _error_output(
                                    "TimeoutError",
                                    f"la celda superó el límite de {self.cell_timeout:g} s "
                                    "y fue interrumpida (¿un bucle infinito?)",
                                )
                            ]
                            if self.stop_on_timeout:  # `check`: one slow mistake, one wait
                                self.stopped_at = i
                                return True
                            continue
                        self.events[i] = {"event": "killed", "seconds": self.cell_timeout}
                        cell.outputs = [
                            _error_output(
                                "TimeoutError",
                                f"la celda superó el límite de {self.cell_timeout:g} s y el "
                                "kernel no respondió a la interrupción (¿un bucle infinito "
                                "dentro de una función @njit?): se detuvo el kernel",
                            )
                        ]
                        if self.stop_on_timeout:
                            self.stopped_at = i
                            return True
                    elif isinstance(exc, DeadKernelError):
                        code = self._exit_code(client)
                        self.events[i] = {
                            "event": "died",
                            "exit_code": code,
                            "seconds": round(time.monotonic() - t0, 2),
                        }
                        cell.outputs = [
                            _error_output(
                                "DeadKernelError",
                                f"el kernel murió al ejecutar esta celda (código de salida {code})",
                            )
                        ]
                    else:
                        self.events[i] = {"event": "runner_error", "detail": repr(exc)[:300]}
                        cell.outputs = [_error_output(type(exc).__name__, str(exc)[:300])]
                    self.skip.add(i)
                    return False
                try:
                    res = await self._silent(client, "", f"{self.check_name}()", 30)
                except Exception as exc:
                    _cancel_others()
                    res = f"check did not run: {type(exc).__name__}"
                    self.tamper.append({"cell": i, "detail": res})
                    self.skip.add(i)
                    return False
                self._check_reply(cell, i)
                if res != "ok" and i not in {t["cell"] for t in self.tamper}:
                    self.tamper.append({"cell": i, "detail": str(res)[:500]})
            try:
                stats = await self._silent(client, _numba_stats_source(), "_cg_numba_stats()", 30)
                hits, misses = (int(x) for x in str(stats).split())
                self.numba = {"cache_hits": hits, "cache_misses": misses}
            except Exception:
                self.numba = None
            return True
        finally:
            try:
                await client._async_cleanup_kernel()
            except Exception:
                pass


def _disk_usage(cfg: dict) -> dict | None:
    """How full the work directory's file system is (the size-limited tmpfs)."""
    if not cfg.get("disk_cap"):
        return None
    try:
        st = os.statvfs(".")
    except OSError:
        return None
    size = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    return {"size_mb": round(size / 2**20, 1), "free_mb": round(free / 2**20, 1)}


def main() -> int:
    _set_not_dumpable()
    cfg = json.loads(sys.stdin.buffer.readline())
    key = cfg.pop("key").encode()
    nb_text = sys.stdin.buffer.read().decode()
    import nbformat

    nb = nbformat.reads(nb_text, as_version=4)
    del nb_text
    for name, src in (cfg.get("seeds") or {}).items():
        shutil.copytree(src, name, dirs_exist_ok=True)
    runner = Runner(nb, cfg)
    t0 = time.monotonic()
    asyncio.run(runner.run())
    nb.metadata["autograde_run"] = {
        "events": {str(k): v for k, v in runner.events.items()},
        "tamper": runner.tamper,
        "not_run": runner.not_run,
        "stopped_at": runner.stopped_at,
        "sessions": runner.sessions,
        "numba": runner.numba,
        "seconds": round(time.monotonic() - t0, 2),
        "disk": _disk_usage(cfg),
    }
    data = nbformat.writes(nb).encode()
    mac = hmac.new(key, data, hashlib.sha256).hexdigest()
    out = sys.stdout.buffer
    out.write(data)
    out.write(f"\nAUTOGRADE-RESULT {mac} {len(data)}\n".encode())
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
