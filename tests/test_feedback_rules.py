"""No rule that only the hidden tests know: a library call fails the visible test first.

Every exercise that asks for loops is answered here with a one-line call of the library
(the answer that used to pass the visible tests and get 0 points when graded). Run as a
student runs it, the test cell *without* its hidden block must fail, say that it is a
rule of the statement, and the statement itself (the ✏️ cell) must say the rule.
"""

from __future__ import annotations

import pytest
from _nbutils import index_of, load, wrong_answer_problems

RULE = "regla del enunciado"

LIBRARY_CALLS = {
    "01_conv1d.ipynb": {
        "conv1d_loops": {
            "cnncourse": "def conv1d_loops(x, u):\n    return cnncourse.conv1d(x, u)",
            "np_correlate": "def conv1d_loops(x, u):\n    return np.correlate(x, u, 'valid')",
            "reference": "def conv1d_loops(x, u):\n    return cnncourse.reference.conv1d(x, u)",
        },
    },
    "02_conv2d.ipynb": {
        "conv2d_loops": {
            "cnncourse": "def conv2d_loops(x, u):\n    return cnncourse.conv2d(x, u)",
            "scipy": "def conv2d_loops(x, u):\n"
            "    from scipy.signal import correlate2d\n"
            "    return correlate2d(x, u, mode='valid')",
            "alias": "from cnncourse import conv2d as c2d\n\n\n"
            "def conv2d_loops(x, u):\n    return c2d(x, u)",
        },
    },
    "03_rgb.ipynb": {
        "conv2d_rgb": {
            "cnncourse": "def conv2d_rgb(x, u):\n    return cnncourse.conv2d(x, u)",
        },
        "conv2d_multi": {
            "cnncourse": "def conv2d_multi(x, filters):\n    return cnncourse.conv2d(x, filters)",
        },
    },
    "04_hyperparameters.ipynb": {
        "conv2d_pad_stride": {
            "cnncourse": "def conv2d_pad_stride(x, u, padding=0, stride=1):\n"
            "    return cnncourse.conv2d(x, u, padding=padding, stride=stride)",
        },
    },
    "05_pooling.ipynb": {
        "pool2d_loops": {
            "cnncourse": "def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode='max'):\n"
            "    return cnncourse.pool2d(x, kernel_size, stride=stride, padding=padding, "
            "mode=mode)",
        },
        "global_pool_loops": {
            "cnncourse": "def global_pool_loops(x, mode='avg'):\n"
            "    return cnncourse.global_pool(x, mode)",
        },
        "maxpool_backward": {
            "cnncourse": "def maxpool_backward(dout, x, kernel_size=2, stride=None):\n"
            "    return cnncourse.pool2d_backward(dout, x, kernel_size, stride, mode='max')",
        },
    },
}


@pytest.mark.parametrize("name", sorted(LIBRARY_CALLS))
def test_library_call_fails_the_visible_test(name):
    wrong = {
        gid: {variant: (src, RULE) for variant, src in variants.items()}
        for gid, variants in LIBRARY_CALLS[name].items()
    }
    problems = wrong_answer_problems(name, wrong, visible_only=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "name, grade_id",
    [(name, gid) for name, exercises in sorted(LIBRARY_CALLS.items()) for gid in exercises],
)
def test_statement_says_the_rule(name, grade_id):
    """The ✏️ cell before the answer names the library function that may not be used."""
    nb = load(name)
    statement = nb.cells[index_of(nb, grade_id) - 1]
    k = index_of(nb, grade_id) - 1
    while "✏️" not in statement.source and k > 0:  # a code cell may sit in between
        k -= 1
        statement = nb.cells[k]
    text = statement.source
    assert "✏️" in text
    assert "no uses" in text.lower() or "no llames" in text.lower() or "prohib" in text.lower(), (
        f"{name} {grade_id}: the statement does not say what may not be used:\n{text}"
    )
    called = next(iter(LIBRARY_CALLS[name][grade_id].values()))
    library_fn = called.split("return ")[-1].split("(")[0].strip().split(".")[-1]
    assert library_fn in text, f"{name} {grade_id}: the statement does not name {library_fn}"
