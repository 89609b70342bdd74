"""The visible tests' feedback helpers (cnncourse._grading._core): rules, hints, cascades."""

from __future__ import annotations

import numpy as np
import pytest

import cnncourse
import cnncourse._grading as checks


def test_assert_close_puts_the_hint_first_and_keeps_it_whole():
    hint = "Has invertido el kernel. " * 40
    with pytest.raises(AssertionError) as info:
        checks.assert_close(np.array([1.0, 2.0]), [1.0, 3.0], hint=hint, context="Con x = (1, 2)")
    text = str(info.value)
    assert text.startswith(hint)
    assert text.index("Con x = (1, 2)") < text.index("Esperado") < text.index("No coinciden")
    assert "No coinciden 1 de 2 valores; la mayor diferencia, 1, está en la posición 1." in text
    assert "Mismatched" not in text and "tolerance" not in text  # no English report


def test_assert_close_computes_a_callable_hint_only_on_failure():
    calls = []

    def hint():
        calls.append(1)
        return "pista"

    checks.assert_close(np.array([1.0]), [1.0], hint=hint)
    assert calls == []
    with pytest.raises(AssertionError, match="^pista"):
        checks.assert_close(np.array([2.0]), [1.0], hint=hint)
    assert calls == [1]


def test_assert_close_says_where_in_spanish():
    with pytest.raises(AssertionError, match=r"un nan donde se esperaba 0.*posición \(0, 1\)"):
        checks.assert_close(np.array([[1.0, np.nan]]), [[1.0, 0.0]])
    with pytest.raises(AssertionError, match=r"se esperaba \(2,\) y se recibió \(3,\)"):
        checks.assert_close(np.ones(3), [1.0, 1.0])


def test_assert_close_with_a_non_array_answer():
    with pytest.raises(AssertionError, match="Recibido"):
        checks.assert_close(None, [1.0], hint="Devuelve un array.")


def test_check_rules_names_a_library_call_as_a_rule():
    def lazy(x, u):
        return cnncourse.conv2d(x, u)

    x, u = np.arange(20.0).reshape(4, 5), np.ones((2, 3))
    with pytest.raises(AssertionError, match="regla del enunciado") as info:
        checks.check_rules(lazy, (x, u), "conv2d_loops", {"lazy": lazy})
    assert "conv2d" in str(info.value)


def test_check_rules_catches_in_place_changes_and_types():
    def in_place(x):
        x *= 2
        return x

    with pytest.raises(AssertionError, match="modificado.*regla del enunciado"):
        checks.check_rules(in_place, (np.ones(3),), "f", forbid=False)
    with pytest.raises(AssertionError, match="numpy.ndarray.*regla del enunciado"):
        checks.check_rules(lambda x: [1.0, 2.0], (np.ones(3),), "f", forbid=False)
    with pytest.raises(AssertionError, match="float.*regla del enunciado"):
        checks.check_rules(lambda x: np.ones(3, dtype=int), (np.ones(3),), "f", forbid=False)
    with pytest.raises(AssertionError, match=r"forma \(3,\); se esperaba \(2,\)"):
        checks.check_rules(lambda x: np.ones(3), (np.ones(3),), "f", forbid=False, shape=(2,))
    got = checks.check_rules(lambda x: x * 2.0, (np.ones(3),), "f", forbid=False, shape=(3,))
    assert got.tolist() == [2.0, 2.0, 2.0]


def _cascade(ns, name, needs, body):
    with checks.exercise(ns, name, needs=needs):
        body()


def test_exercise_names_a_blank_exercise():
    def blank(x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="sin hacer"):
        _cascade({"blank": blank}, "blank", (), lambda: blank(1))


def test_exercise_names_a_missing_answer_and_a_typo_inside_it():
    with pytest.raises(AssertionError, match="no está definida: la celda de tu solución"):
        with checks.exercise({}, "undefined_answer_name"):
            undefined_answer_name(1)  # noqa: F821 - the point of the test

    def typo(x):
        return x + undefined_in_student_code  # noqa: F821

    with pytest.raises(AssertionError, match="Tu código usa undefined_in_student_code"):
        with checks.exercise({"typo": typo}, "typo"):
            typo(1)


def test_exercise_names_the_broken_earlier_exercise_only_when_it_is_used(monkeypatch):
    pkg = checks

    def probe_first(fn):
        return "" if fn(2) == 4 else f"first(2) = {fn(2)}, se esperaba 4."

    monkeypatch.setattr(pkg, "probe_first", probe_first, raising=False)

    def first(x):  # wrong: should square
        return x * 3

    def second(x):
        return first(x) + 1

    def independent(x):
        return x * x + 1

    ns = {"first": first, "second": second, "independent": independent}

    def failing():
        raise AssertionError("second(2) should be 5")

    with pytest.raises(AssertionError, match=r"^Tu first falla: arréglala primero") as info:
        _cascade(ns, "second", ("first",), failing)
    assert "first(2) = 6" in str(info.value)
    # an answer that does not use the earlier function gets its own error
    with pytest.raises(AssertionError, match="should be 5"):
        _cascade(ns, "independent", ("first",), failing)
    # and a right earlier function lets the real error through
    ns["first"] = lambda x: x * x
    with pytest.raises(AssertionError, match="should be 5"):
        _cascade(ns, "second", ("first",), failing)
    # no failure: nothing is probed or raised
    _cascade(ns, "second", ("first",), lambda: None)


def test_a_blank_earlier_exercise_is_named_not_this_one():
    def first(x):
        raise NotImplementedError()

    def second(x):
        return first(x) + 1

    with pytest.raises(AssertionError, match=r"^Tu first está sin hacer: hazla primero"):
        with checks.exercise({"first": first, "second": second}, "second", needs=("first",)):
            second(1)
    with pytest.raises(AssertionError, match="^Este ejercicio está sin hacer"):
        with checks.exercise({"first": first}, "first"):
            first(1)


def test_channel_by_channel_calls_may_use_keywords():
    def rgb(x, u):
        return sum(cnncourse.conv2d(x[c], u=u[c]) for c in range(x.shape[0]))

    def whole(x, u):
        return cnncourse.conv2d(x=x, u=u)

    x, u = np.arange(60.0).reshape(3, 4, 5), np.ones((3, 2, 3))
    got = checks.check_rules(rgb, (x, u), "conv2d_rgb", {}, allow_2d=True)
    assert got.shape == (3, 3)
    with pytest.raises(AssertionError, match="canal a canal.*regla del enunciado"):
        checks.check_rules(whole, (x, u), "conv2d_rgb", {}, allow_2d=True)
