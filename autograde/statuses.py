"""The one table of statuses: name, rank, review reason, message for the student.

Every (student, notebook) gets one status; the grader also records *flags* (other
statuses that applied, and a few that only ever are flags). A status is ranked by
its position in ``STATUSES``, most serious first: the first one that applies wins.
An entry with a review reason puts the submission on the "needs a person" list
(``reports/needs_review.csv``, nbgrader's ``flagged``/``needs_manual_grade``); the
Spanish message is what the feedback page says. ``scoring``, ``results``,
``gradebook``, ``feedback`` and ``report`` read this table and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    name: str
    review: str | None  # why a person should look (English, for instructors); None: no need
    message_es: str  # what the student's feedback page says
    ranked: bool = True  # False: only ever a flag, never the notebook's status


STATUSES: tuple[Status, ...] = (
    Status("no_submission", None, "No recibimos ninguna entrega tuya."),
    Status(
        "missing",
        "notebook not found, but the student handed in files that could not be matched",
        "No encontramos este cuaderno en tu entrega.",
    ),
    Status("not_submitted", None, "No entregaste este cuaderno."),
    Status(
        "corrupt",
        "the notebook file is not valid JSON / nbformat: could not be graded",
        "El archivo entregado no es un cuaderno válido (JSON dañado): no se pudo "
        "corregir. Habla con tu profesor.",
    ),
    Status(
        "grader_error",
        "the grader could not run this notebook (see the log)",
        "El corrector no pudo ejecutar tu cuaderno; tu profesor lo revisará.",
    ),
    Status(
        "cheating",
        "code tampers with what the tests rely on (scores withheld)",
        "Tu código modifica funciones de las que dependen las pruebas (numpy, "
        "builtins, cnncourse) o devuelve objetos que fingen ser iguales a todo. La nota queda "
        "pendiente de revisión por tu profesor.",
    ),
    Status(
        "killed",
        "a cell never returned (probably an infinite loop in @njit code): kernel killed",
        "Una celda no terminó y el kernel no respondió a la interrupción (típico de un "
        "bucle infinito dentro de una función @njit): se detuvo el kernel.",
    ),
    Status(
        "kernel_died",
        "the kernel died (os._exit, crash or signal)",
        "El kernel murió mientras se ejecutaba tu cuaderno (por ejemplo, os._exit).",
    ),
    Status(
        "cpu_limit",
        "the CPU time limit killed the kernel",
        "Tu código superó el límite de tiempo de CPU.",
    ),
    Status(
        "memory",
        "the memory limit was hit (MemoryError)",
        "Tu código superó el límite de memoria (MemoryError).",
    ),
    Status(
        "process_limit",
        "the code tried to create more processes or threads than the cap allows (fork bomb?)",
        "Tu código intentó crear más procesos o hilos de los permitidos y el sistema se lo "
        "impidió (¿un bucle que crea procesos?).",
    ),
    Status(
        "disk_limit",
        "the code filled the disk space the sandbox allows (or wrote a file over the size cap)",
        "Tu código escribió en disco más datos de los permitidos (o un archivo demasiado "
        "grande) y la escritura falló.",
    ),
    Status(
        "wall_timeout",
        "the whole notebook exceeded its wall-clock limit and was killed",
        "El cuaderno completo superó el tiempo máximo y se detuvo.",
    ),
    Status(
        "timeout",
        "a cell exceeded the per-cell time limit (infinite loop?) and was interrupted",
        "Una celda tardó más del límite y se interrumpió: ¿un bucle infinito?",
    ),
    Status(
        "test_cell_deleted",
        "a test cell was deleted (restored before grading)",
        "Borraste una celda de pruebas: se restauró antes de corregir.",
    ),
    Status(
        "test_cell_edited",
        "a test cell was edited (restored before grading)",
        "Modificaste una celda de pruebas: se restauró la original antes de corregir.",
    ),
    Status(
        "solution_cell_deleted",
        "an answer cell was deleted",
        "Borraste una celda de respuesta.",
    ),
    Status(
        "locked_cell_edited",
        "a read-only cell was edited (restored before grading)",
        "Modificaste una celda de solo lectura: se restauró.",
        ranked=False,
    ),
    Status(
        "locked_cell_deleted",
        "a read-only cell was deleted (restored before grading)",
        "Borraste una celda de solo lectura: se restauró.",
        ranked=False,
    ),
    Status(
        "renamed",
        "the notebook was handed in under another file name",
        "Entregaste el cuaderno con otro nombre de archivo; se reconoció por su contenido.",
    ),
    Status(
        "blank",
        None,
        "Entregaste el cuaderno sin responder (igual que la versión inicial).",
    ),
    Status("correct", None, "Todo correcto: todas las pruebas pasan."),
    Status("partly_wrong", None, "Parcialmente correcto: algunas pruebas fallan."),
    Status("wrong", None, "Ninguna prueba pasa todavía."),
)

STATUS: dict[str, Status] = {s.name: s for s in STATUSES}

# the statuses a notebook can end with, most serious first
STATUS_ORDER: tuple[str, ...] = tuple(s.name for s in STATUSES if s.ranked)

# nothing to run: the notebook was not handed in (collect decided it)
NOT_HANDED_IN = frozenset({"missing", "no_submission", "not_submitted"})


def review_reason(name: str) -> str | None:
    """Why a person should look at a submission with this status or flag, or None."""
    status = STATUS.get(name)
    return status.review if status else None


def message_es(name: str) -> str | None:
    """The student-facing (Spanish) message for a status or flag, or None if unknown."""
    status = STATUS.get(name)
    return status.message_es if status else None
