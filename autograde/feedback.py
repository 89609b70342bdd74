"""HTML feedback for students: one page per student and notebook.

Each test's outcome and a helpful message, in Spanish. Hidden test code is never
shown: only the visible part of each test cell (which students already have) and,
for a failure, the exception's message, without its traceback (a traceback would
print the hidden lines).
"""

from __future__ import annotations

import html
from pathlib import Path

import nbformat

from .course import Course, atomic_write_text
from .results import JobResult
from .statuses import message_es

OUTCOME_ES = {
    "passed": ("✔", "superada"),
    "partial": ("◐", "puntuación parcial"),
    "failed": ("✘", "falló"),
    "error": ("✘", "error"),
    "timeout": ("⏱", "tiempo agotado"),
    "killed": ("⏱", "kernel detenido"),
    "not_run": ("–", "no se ejecutó"),
    "withheld": ("?", "pendiente de revisión"),
}

CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4rem;
vertical-align:top;text-align:left}th{background:#f3f3f3}.passed{color:#17692d}
.failed,.error{color:#a11}.timeout,.killed,.withheld,.not_run{color:#8a5a00}
pre{background:#f7f7f7;padding:.5rem;overflow-x:auto;white-space:pre-wrap}
.score{font-size:1.4rem;font-weight:bold}.status{padding:.5rem;background:#fff7e0}
"""


def _message(t) -> str:
    if t.outcome in ("passed", "partial"):
        return ""
    if t.outcome == "withheld":
        return "Puntos retenidos hasta que tu profesor revise el cuaderno."
    if t.outcome == "not_run":
        return "Esta prueba no llegó a ejecutarse."
    msg = (t.message or "").strip()
    if len(msg) > 1500:
        msg = msg[:1500] + " …"
    if t.hidden:
        head = "Falló una prueba oculta (casos adicionales que no ves en el cuaderno)"
        return f"{head}: {msg}" if msg else f"{head}. Revisa tamaños, bordes y casos especiales."
    if t.ename == "AssertionError":
        return msg or "Una comprobación falló (sin mensaje)."
    if t.ename == "NotImplementedError":
        return "Todavía no has escrito la respuesta (NotImplementedError)."
    return f"{t.ename}: {msg}" if t.ename else msg


def render(r: JobResult, visible_tests: dict[str, str]) -> str:
    e = html.escape
    rows = []
    for t in r.tests:
        icon, label = OUTCOME_ES.get(t.outcome, ("?", t.outcome))
        code = visible_tests.get(t.grade_id, "")
        code_html = (
            f"<details><summary>ver la prueba visible</summary><pre>{e(code)}</pre></details>"
            if code.strip()
            else ""
        )
        rows.append(
            f"<tr><td><code>{e(t.grade_id)}</code>{code_html}</td>"
            f"<td>{t.points:g} / {t.max_points:g}</td>"
            f"<td class='{e(t.outcome)}'>{icon} {e(label)}</td>"
            f"<td>{e(_message(t))}</td></tr>"
        )
    extra = [message_es(f) for f in r.flags if message_es(f) and f != "blank"]
    extra_html = "".join(f"<li>{e(x)}</li>" for x in extra)
    return f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8">
<title>{e(r.assignment)} · {e(r.student)}</title><style>{CSS}</style></head>
<body>
<h1>Retroalimentación: {e(r.assignment)}</h1>
<p>Estudiante: <b>{e(r.student)}</b></p>
<p class="score">Puntuación: {r.score:g} / {r.max_score:g}</p>
<p class="status">{e(message_es(r.status) or r.status)}</p>
{f"<ul>{extra_html}</ul>" if extra_html else ""}
<table><tr><th>Prueba</th><th>Puntos</th><th>Resultado</th><th>Mensaje</th></tr>
{"".join(rows)}
</table>
<p><small>Las pruebas ocultas comprueban otros tamaños y casos especiales; su código no se
muestra. Puedes comprobar las pruebas visibles con <code>cnncourse-grade check
CUADERNO.ipynb</code>.</small></p>
</body></html>
"""


def write_feedback(course: Course, results: list[JobResult], log=print) -> list[Path]:
    visible: dict[str, dict[str, str]] = {}
    paths = []
    for r in results:
        if r.assignment not in visible:
            rel = nbformat.read(course.release(r.assignment), as_version=4)
            visible[r.assignment] = {
                c.metadata["nbgrader"]["grade_id"]: c.source
                for c in rel.cells
                if c.metadata.get("nbgrader", {}).get("grade")
            }
        path = course.feedback(r.student, r.assignment)
        atomic_write_text(path, render(r, visible[r.assignment]))
        paths.append(path)
    log(f"wrote {len(paths)} feedback pages under {course.root / 'feedback'}")
    return paths
