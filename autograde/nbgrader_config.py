"""nbgrader configuration of the cnncourse course directory.

``cnncourse-grade release`` copies this file into the course directory, so that
nbgrader's own commands and the formgrader work there too (``cd out && nbgrader
formgrader``). The grader builds the same settings in code
(``autograde.course.Course.nbgrader_config``); the gradebook URL is read from
``course.json`` written by ``release`` (SQLite by default, any SQLAlchemy URL via
``--db``).
"""

import json
import os

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

_here = os.path.dirname(os.path.abspath(__file__))
_settings_file = os.path.join(_here, "course.json")
_settings = {}
if os.path.exists(_settings_file):
    with open(_settings_file) as fh:
        _settings = json.load(fh)

c.CourseDirectory.root = _here
c.CourseDirectory.course_id = "cnncourse"
c.CourseDirectory.db_url = _settings.get(
    "db_url", "sqlite:///" + os.path.join(_here, "gradebook.db")
)
c.Exchange.root = os.path.join(_here, "exchange")
c.ClearSolutions.code_stub = {"python": "# ESCRIBE AQUÍ TU CÓDIGO\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "ESCRIBE AQUÍ TU RESPUESTA"
# nbgrader's own autograde, if used instead of `cnncourse-grade grade`:
c.Execute.timeout = 30
c.OverwriteCells.add_missing_cells = True
