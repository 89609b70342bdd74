"""Convolution arithmetic, step by step: where the window is, what it covers, what it yields.

The pure side of the convolution-arithmetic explorers (Dumoulin & Visin's "guide to
convolution arithmetic", made interactive) and of the numeric sweeps of notebooks
01-03. Everything here is a plain function of its arguments, so tests and notebooks
call it directly; :mod:`cnncourse.widgets` only wires sliders to it.

* :class:`Geometry` -- input, kernel, padding, stride and dilation along each axis:
  the output shape, whether the window fits, a Spanish explanation
  (:attr:`Geometry.message_es`) and the formula with the numbers substituted
  (:meth:`Geometry.formula_es`). :func:`output_shape` and :func:`fits` are the
  one-call versions.
* :func:`window` -- the output cell the ``step``-th window position produces
  (row-major over the output) and the padded-input cells it covers.
* :func:`conv_step`, :func:`conv_steps_text`, :func:`pool_step` -- the same on actual
  values: the window, the products and their sum (or the pooled value), with the
  arithmetic written out in Spanish.
* :func:`draw_arithmetic`, :func:`draw_step`, :func:`draw_pool_step` -- draw one
  step into matplotlib Axes you pass (matplotlib is imported inside them).

Shapes are (W,) for signals, (H, W) and (C, H, W) for images, as in
:mod:`cnncourse.functional`; sizes given as an int mean the same value on both axes,
pairs are (rows, cols) and 1-tuples mean a 1D signal. Along each axis (rows shown)::

    h_eff = dilation * (h - 1) + 1                 # the span of a dilated kernel
    Ho    = floor((H + 2*padding - h_eff) / stride) + 1

Step ``t`` is the output cell ``(j, i) = divmod(t, Wo)``; its window starts at row
``stride*j`` and column ``stride*i`` of the padded input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import _validation as V

__all__ = [
    "Geometry",
    "Window",
    "ConvStep",
    "PoolStep",
    "output_shape",
    "fits",
    "window",
    "conv_step",
    "conv_steps_text",
    "pool_step",
    "draw_arithmetic",
    "draw_step",
    "draw_pool_step",
]

_MINUS = "\u2212"  # the typographic minus used in every Spanish text
_POOL_NAMES = {"max": "máx", "avg": "media", "min": "mín"}
_POOL_FILL = {"max": -np.inf, "avg": 0.0, "min": np.inf}

# Per-axis vocabulary: rows first, then columns.
_AXES = (
    {"n": "H", "o": "Ho", "k": "h", "one": "fila", "many": "filas", "en": "the rows (H)"},
    {"n": "W", "o": "Wo", "k": "w", "one": "columna", "many": "columnas", "en": "the columns (W)"},
)
_SIGNAL_AXIS = {"n": "W", "o": "Wo", "k": "w", "one": "muestra", "many": "muestras", "en": "W"}
# What the one axis of a 1D Geometry is: a signal's samples, or an image's rows or columns
_ONE_AXIS = {"signal": _SIGNAL_AXIS, "rows": _AXES[0], "columns": _AXES[1]}

# Colours of the drawings (the guide's style: blue input, green output).
_INPUT_FACE, _INPUT_EDGE = "#dbe9f6", "#4a6fa5"
_PAD_FACE, _PAD_EDGE = "#f4f4f4", "#9a9a9a"
_WINDOW_FACE, _WINDOW_EDGE = "#f4a259", "#b85c00"
_OUT_FACE, _OUT_EDGE = "#e5f5e0", "#2e7d32"
_DONE_FACE, _CURRENT_FACE = "#a1d99b", "#31a354"


# ----------------------------------------------------------------------------
# number formatting for the Spanish texts
# ----------------------------------------------------------------------------
def _num(value) -> str:
    """A number as a student writes it: 3, 2.5, −1, 0.3333, −∞ (typographic minus)."""
    v = float(value)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "∞" if v > 0 else f"{_MINUS}∞"
    if v == int(v) and abs(v) < 1e15:
        text = str(int(v))
    else:
        text = f"{v:.4g}"
    return text.replace("-", _MINUS)


def _factor(value) -> str:
    """A factor of a product: negative numbers in parentheses, 6·(−1)."""
    text = _num(value)
    return f"({text})" if text.startswith(_MINUS) else text


def _listing(items, word: str) -> str:
    """'5', '5 y 6', '1, 3 y 5' (Spanish enumeration)."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]


def _ratio(num: int, den: int) -> str:
    """num/den as a decimal, '2.5', or '≈ 2.33' when it does not terminate."""
    text = f"{num / den:.2f}".rstrip("0").rstrip(".")
    exact = abs(float(text) - num / den) < 1e-12
    return (text if exact else f"≈ {text}").replace("-", _MINUS)


# ----------------------------------------------------------------------------
# geometry
# ----------------------------------------------------------------------------
def _sizes(value, func: str, name: str, minimum: int, ndim: int) -> tuple[int, ...]:
    """An int or a tuple of ``ndim`` ints, each >= minimum; ValueError otherwise."""
    try:
        return V.check_pair(value, func, name, minimum, dims=ndim)
    except TypeError as exc:  # non-integers: the contract here is ValueError throughout
        raise ValueError(str(exc)) from None


@dataclass(frozen=True, init=False)
class Geometry:
    """Input, kernel, padding, stride and dilation of a sliding window, per axis.

    Parameters
    ----------
    in_size : int, (H, W) or (W,)
        Input size: an int is a square H = W; a 1-tuple is a 1D signal.
    kernel_size : int or tuple, like in_size
        Window size (h, w) before dilation.
    padding : int or tuple, default 0
        Cells added on each side, >= 0.
    stride : int or tuple, default 1
        Step of the window, >= 1.
    dilation : int or tuple, default 1
        Spacing between kernel taps, >= 1; the window spans ``d*(k - 1) + 1`` cells.
    axis : {"signal", "rows", "columns"}, default "signal"
        What the one axis of a 1-tuple ``in_size`` is, for the Spanish texts: the samples
        of a signal (W, «muestras»), or one axis of an image, its rows (H, «filas») or its
        columns (W, «columnas»). Ignored for images, which have both.

    Every field is stored as a tuple with one entry per axis (two for images, one
    for signals). A window that does not fit is *not* an error here: ``ok`` is False
    and ``message_es`` says why, so an explorer can show it. Negative sizes, a zero
    stride or non-integers raise ``ValueError``.

    Examples
    --------
    >>> g = Geometry(5, 3, padding=1, stride=2)
    >>> g.output_shape, g.n_steps, g.ok
    ((3, 3), 9, True)
    >>> print(g.formula_es())
    Ho = ⌊(H + 2p − h)/s⌋ + 1 = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3
    Wo = ⌊(W + 2p − w)/s⌋ + 1 = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3
    >>> Geometry(3, 5).ok
    False
    >>> print(Geometry(3, 5).message_es)  # doctest: +NORMALIZE_WHITESPACE
    La ventana (5) no cabe en la entrada con padding (3 + 2·0 = 3):
    aumenta el padding o reduce el kernel (con p ≥ 1 ya cabe).
    >>> Geometry((8,), (2,)).output_shape  # the lecture's 1D example
    (7,)
    >>> print(Geometry((227,), (11,), stride=4, axis="columns").formula_es())
    Wo = ⌊(W + 2p − w)/s⌋ + 1 = ⌊(227 + 2·0 − 11)/4⌋ + 1 = 55
    >>> print(Geometry((6,), (3,), stride=2, axis="rows").message_es)  # doctest: +ELLIPSIS
    La ventana cabe: ... se redondea hacia abajo, la última fila no se usa (la 5 de la entrada).
    """

    in_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    padding: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    _axes: tuple = field(repr=False, compare=False)
    _vocab1d: dict = field(repr=False, compare=False)

    def __init__(self, in_size, kernel_size, padding=0, stride=1, dilation=1, axis="signal"):
        self._setup("Geometry", in_size, kernel_size, padding, stride, dilation, axis)

    @classmethod
    def _make(cls, func: str, *args) -> Geometry:
        """Build a Geometry whose error messages name ``func`` (the public caller)."""
        g = cls.__new__(cls)
        g._setup(func, *args)
        return g

    def _setup(
        self, func, in_size, kernel_size, padding=0, stride=1, dilation=1, axis="signal"
    ) -> None:
        if axis not in _ONE_AXIS:
            raise ValueError(
                f"{func}: argument 'axis' must be one of {sorted(_ONE_AXIS)}, got {axis!r}; "
                "e.g. axis='columns' for the width of an image"
            )
        object.__setattr__(self, "_vocab1d", _ONE_AXIS[axis])
        one_d = isinstance(in_size, (tuple, list, np.ndarray)) and len(in_size) == 1
        ndim = 1 if one_d else 2
        values = {
            "in_size": _sizes(in_size, func, "in_size", 1, ndim),
            "kernel_size": _sizes(kernel_size, func, "kernel_size", 1, ndim),
            "padding": _sizes(padding, func, "padding", 0, ndim),
            "stride": _sizes(stride, func, "stride", 1, ndim),
            "dilation": _sizes(dilation, func, "dilation", 1, ndim),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)
        # per axis (n, k, p, s, d), always two axes: a signal is one row
        axes = tuple(zip(*values.values(), strict=True))
        if ndim == 1:
            axes = ((1, 1, 0, 1, 1),) + axes
        object.__setattr__(self, "_axes", axes)

    def _vocab(self, a: int) -> dict:
        """Symbols and Spanish nouns of axis ``a`` (0 rows, 1 columns; a signal's is 1)."""
        return _AXES[a] if self.ndim == 2 else self._vocab1d

    @property
    def ndim(self) -> int:
        """1 for a signal, 2 for an image."""
        return len(self.in_size)

    def _trim(self, pair: tuple) -> tuple:
        return tuple(pair[2 - self.ndim :])

    @property
    def padded_size(self) -> tuple[int, ...]:
        """Size of the padded input, ``n + 2p`` per axis."""
        return self._trim(tuple(n + 2 * p for n, _, p, _, _ in self._axes))

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        """Span of the (dilated) window, ``d*(k - 1) + 1`` per axis."""
        return self._trim(tuple(d * (k - 1) + 1 for _, k, _, _, d in self._axes))

    def _raw(self, a: int) -> int:
        """The formula's value on axis ``a`` (0 rows, 1 cols), even when it is <= 0."""
        n, k, p, s, d = self._axes[a]
        return (n + 2 * p - (d * (k - 1) + 1)) // s + 1

    def _fits(self, a: int) -> bool:
        n, k, p, _, d = self._axes[a]
        return d * (k - 1) + 1 <= n + 2 * p

    @property
    def ok(self) -> bool:
        """True when the (dilated) window fits in the padded input along every axis."""
        return self._fits(0) and self._fits(1)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """(Ho, Wo), or (Wo,) for a signal; 0 along an axis where the window does not fit."""
        return self._trim(tuple(max(0, self._raw(a)) for a in (0, 1)))

    @property
    def n_steps(self) -> int:
        """Number of window positions, Ho * Wo (0 when the window does not fit)."""
        return int(np.prod(self.output_shape))

    def covered(self, axis: int = -1) -> np.ndarray:
        """Boolean mask over the padded input along ``axis``: cells some window touches."""
        a = axis % self.ndim + (2 - self.ndim)
        n, k, p, s, d = self._axes[a]
        mask = np.zeros(n + 2 * p, dtype=bool)
        for start in range(0, s * max(0, self._raw(a)), s):
            mask[start : start + d * (k - 1) + 1 : d] = True
        return mask

    def formula_es(self, simple: bool = False) -> str:
        """The output-size formula with the numbers substituted, one line per axis.

        Dilation appears only on an axis where it is not 1, e.g.
        ``Ho = ⌊(H + 2p − h)/s⌋ + 1 = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3``. With ``simple=True``
        an axis without padding, stride or dilation gets the form notebooks 01-03 teach
        before padding and stride exist: ``Wo = W − w + 1 = 8 − 2 + 1 = 7``.
        """
        lines = []
        for a in range(2 - self.ndim, 2):
            n, k, p, s, d = self._axes[a]
            sym = self._vocab(a)
            if simple and p == 0 and s == 1 and d == 1:
                line = f"{sym['o']} = {sym['n']} − {sym['k']} + 1 = {n} − {k} + 1 = {n - k + 1}"
                if n < k:
                    line += " → la ventana no cabe"
                lines.append(line)
                continue
            if d == 1:
                general = f"⌊({sym['n']} + 2p − {sym['k']})/s⌋ + 1"
                numbers = f"⌊({n} + 2·{p} − {k})/{s}⌋ + 1"
            else:
                general = f"⌊({sym['n']} + 2p − d·({sym['k']} − 1) − 1)/s⌋ + 1"
                numbers = f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1)/{s}⌋ + 1"
            line = f"{sym['o']} = {general} = {numbers} = {_num(self._raw(a))}"
            if not self._fits(a):
                line += " → la ventana no cabe"
            lines.append(line)
        return "\n".join(lines)

    def _misfit_es(self, a: int) -> str:
        n, k, p, _, d = self._axes[a]
        span = d * (k - 1) + 1
        need = -(-(span - n) // 2)
        size = f"{span}" if d == 1 else f"{k} con dilatación {d}, que ocupa {span}"
        fix = "reduce el kernel" if d == 1 else "reduce el kernel o la dilatación"
        return (
            f"la ventana ({size}) no cabe en la entrada con padding ({n} + 2·{p} = {n + 2 * p}): "
            f"aumenta el padding o {fix} (con p ≥ {need} ya cabe)."
        )

    def _unused_es(self, a: int, both: bool = False) -> list[str]:
        """Notes on the padded cells of axis ``a`` that no window uses.

        ``both``: the two axes are identical, write one note for rows and columns.
        """
        n, k, p, s, d = self._axes[a]
        sym = self._vocab(a)
        span = d * (k - 1) + 1
        mask = self.covered(a - 2)
        last = s * (self._raw(a) - 1) + span  # first cell after the last window
        notes = []
        left = (n + 2 * p - span) % s
        if left:
            cells = list(range(last, n + 2 * p))
            if left == 1:
                which = (
                    "la última fila y la última columna no se usan"
                    if both
                    else (f"la última {sym['one']} no se usa")
                )
            else:
                nouns = "filas y columnas" if both else sym["many"]
                which = f"las últimas {left} {nouns} no se usan"
            article = "la" if left == 1 else "las"
            only_pad = all(c >= p + n for c in cells)
            tail = "; es padding, no se pierde ningún valor" if only_pad else ""
            ratio = _ratio(n + 2 * p - span, s)
            notes.append(
                f"({n} + 2·{p} − {span})/{s} {'' if ratio.startswith('≈') else '= '}{ratio} "
                f"no es exacto: se redondea hacia abajo, {which} "
                f"({article} {_listing(cells, 'y')} de la {self._input_name_es()}{tail})."
            )
        gaps = [c for c in range(last) if not mask[c]]
        if gaps:
            many = len(gaps) > 1
            if both:
                subject = "Las filas y columnas" if many else "La fila y la columna"
            else:
                subject = f"Las {sym['many']}" if many else f"La {sym['one']}"
            verb = "quedan" if many else "queda"
            why = f"stride {s}" + (f" y dilatación {d}" if d > 1 else "")
            notes.append(
                f"{subject} {_listing(gaps, 'y')} de la {self._input_name_es()} {verb} entre "
                f"posiciones de la ventana y nunca se usa{'n' if many or both else ''} ({why})."
            )
        return notes

    def _input_name_es(self) -> str:
        """ "entrada con padding" only when there is padding: before notebook 04 there is none."""
        return "entrada con padding" if any(p for p in self.padding) else "entrada"

    @property
    def message_es(self) -> str:
        """Spanish explanation: why the window does not fit, or which cells go unused."""
        axes = range(2 - self.ndim, 2)
        bad = [a for a in axes if not self._fits(a)]
        if bad:
            same = len(bad) == 2 and self._axes[0][1:] == self._axes[1][1:]
            same = same and self._axes[0][0] == self._axes[1][0]
            if self.ndim == 1 or same:
                text = self._misfit_es(bad[-1])
                return text[0].upper() + text[1:]
            return " ".join(f"En las {self._vocab(a)['many']}, {self._misfit_es(a)}" for a in bad)
        shape = " × ".join(str(o) for o in self.output_shape)
        if self.ndim == 1:
            head = f"La ventana cabe: la salida tiene {self.n_steps} posiciones."
        else:
            head = f"La ventana cabe: salida de {shape} = {self.n_steps} posiciones."
        if self.ndim == 2 and self._axes[0] == self._axes[1]:
            notes = self._unused_es(1, both=True)
        else:
            notes = [note for a in axes for note in self._unused_es(a)]
        if not notes:
            if self.ndim == 1:
                notes = [f"Se usa toda la {self._input_name_es()}."]
            else:
                notes = [f"Se usan todas las filas y columnas de la {self._input_name_es()}."]
        return " ".join([head, *notes])

    def _out_index(self, step, func: str = "window") -> tuple[int, int]:
        """(j, i) of step ``step``, validated (the 2D internal view)."""
        n = self.n_steps
        if not self.ok:
            raise ValueError(
                f"{func}: the window does not fit this geometry ({self!r}); "
                f"check geometry.ok before asking for a step (geometry.message_es says why)"
            )
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, np.integer)):
            raise ValueError(
                f"{func}: argument 'step' must be an integer, got {V._describe(step)}; "
                f"pass a whole number from 0 to {n - 1}"
            )
        if not 0 <= step < n:
            raise ValueError(
                f"{func}: argument 'step' must be in 0..{n - 1} (n_steps={n}), got {step}; "
                f"pass a step from 0 to {n - 1}"
            )
        return divmod(int(step), max(1, self._raw(1)))


def output_shape(in_size, kernel_size, padding=0, stride=1, dilation=1) -> tuple[int, ...]:
    """Output shape of a convolution or pooling window, with dilation (H5).

    Parameters
    ----------
    in_size, kernel_size, padding, stride, dilation : int or (rows, cols)
        As in :class:`Geometry` (a 1-tuple ``in_size`` means a 1D signal).

    Returns
    -------
    tuple of int
        ``(Ho, Wo)`` with ``Ho = floor((H + 2p - (d*(h - 1) + 1))/s) + 1``, likewise Wo.

    Raises
    ------
    ValueError
        On a negative size or padding, a zero stride, a non-integer, or a window
        that does not fit in the padded input.

    Examples
    --------
    >>> output_shape(5, 3, padding=1, stride=2)
    (3, 3)
    >>> output_shape((7, 9), (3, 2), padding=(1, 0), stride=(2, 3), dilation=(1, 2))
    (4, 3)
    """
    g = Geometry._make("output_shape", in_size, kernel_size, padding, stride, dilation)
    _require_fit(g, "output_shape", "kernel_size")
    return g.output_shape


def fits(in_size, kernel_size, padding=0, stride=1, dilation=1) -> bool:
    """True when the (dilated) window fits in the padded input; see :class:`Geometry`.

    >>> fits(3, 5), fits(3, 5, padding=1)
    (False, True)
    """
    return Geometry._make("fits", in_size, kernel_size, padding, stride, dilation).ok


def _require_fit(g: Geometry, func: str, what: str) -> None:
    """ValueError in the project's style when the window of ``g`` does not fit."""
    for a in range(2 - g.ndim, 2):
        if not g._fits(a):
            n, k, p, _, d = g._axes[a]
            span = d * (k - 1) + 1
            dil = f" (spanning {span} with dilation={d})" if d != 1 else ""
            need = -(-(span - n) // 2)
            raise ValueError(
                f"{func}: {what}={k}{dil} does not fit input size {n} along "
                f"{g._vocab(a)['en']} with padding={p} (padded size {n + 2 * p}); "
                f"use padding >= {need} or a smaller {what}"
                + (" or a smaller dilation" if d != 1 else "")
            )


# ----------------------------------------------------------------------------
# one window position
# ----------------------------------------------------------------------------
class Window(NamedTuple):
    """Where the window is at one step.

    ``out_index`` is the output cell it produces, ``(j, i)`` (``(i,)`` for a
    signal); ``coords`` the padded-input cells it covers, one row per kernel tap in
    row-major order: shape (h*w, 2) of (row, col) for images, (w,) of columns for
    signals. Dilation leaves gaps between taps.
    """

    out_index: tuple[int, ...]
    coords: np.ndarray

    @property
    def origin(self) -> tuple[int, ...]:
        """Top-left cell of the window in the padded input."""
        first = self.coords[0]
        return tuple(int(c) for c in first) if self.coords.ndim == 2 else (int(first),)


def _window2d(g: Geometry, step, func: str = "window"):
    """Internal 2D view: (j, i), padded rows (h,) and cols (w,) of the taps."""
    j, i = g._out_index(step, func)
    (_, kh, _, sh, dh), (_, kw, _, sw, dw) = g._axes
    rows = sh * j + dh * np.arange(kh)
    cols = sw * i + dw * np.arange(kw)
    return (int(j), int(i)), rows, cols


def window(geometry: Geometry, step: int) -> Window:
    """The output cell produced at ``step`` and the padded-input cells the window covers.

    Steps run row-major over the output: step ``t`` is ``(j, i) = divmod(t, Wo)``
    and the window's taps are at rows ``s_h*j + d_h*n`` and columns ``s_w*i + d_w*m``
    (n < h, m < w) of the padded input.

    Parameters
    ----------
    geometry : Geometry
    step : int, 0 <= step < geometry.n_steps

    Returns
    -------
    Window
        ``(out_index, coords)``; see :class:`Window`.

    Examples
    --------
    >>> g = Geometry(5, 3, padding=1, stride=2)
    >>> w = window(g, 4)
    >>> w.out_index
    (1, 1)
    >>> w.coords[:3].tolist()
    [[2, 2], [2, 3], [2, 4]]
    >>> window(Geometry(5, 2, dilation=2), 0).coords.tolist()
    [[0, 0], [0, 2], [2, 0], [2, 2]]
    """
    if not isinstance(geometry, Geometry):
        raise TypeError(
            f"window: argument 'geometry' must be a Geometry, got {V._describe(geometry)}; "
            f"build one with Geometry(in_size, kernel_size, padding, stride, dilation)"
        )
    (j, i), rows, cols = _window2d(geometry, step)
    if geometry.ndim == 1:
        return Window((i,), cols.copy())
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return Window((j, i), np.stack([rr.ravel(), cc.ravel()], axis=1))


# ----------------------------------------------------------------------------
# one step on actual values
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvStep:
    """One output value of a convolution, with its arithmetic.

    Attributes
    ----------
    step : int
    out_index : tuple of int
        ``(i,)`` for a signal, ``(j, i)`` for an image.
    origin : tuple of int
        Top-left cell of the window in the padded input.
    window : ndarray, the shape of u
        The values of the padded input under the kernel.
    products : ndarray, the shape of u
        ``window * u``.
    value : float
        ``products.sum()``: the output value ``o[out_index]``.
    text : str
        The arithmetic in Spanish, e.g. ``o[0, 1] = 2·1 + 3·0 + 5·0 + 6·(−1) = −4``;
        with channels, one line per channel and then the total.
    geometry : Geometry
    """

    step: int
    out_index: tuple[int, ...]
    origin: tuple[int, ...]
    window: np.ndarray
    products: np.ndarray
    value: float
    text: str
    geometry: Geometry = field(repr=False)

    def __str__(self) -> str:
        return self.text


def _conv_inputs(func, x, u, padding, stride):
    """Validate; return x3 (C, H, W), u3 (C, h, w), geometry, ndim of x."""
    x = V.as_float_array(x, func, "x")
    u = V.as_float_array(u, func, "u")
    V.check_ndim(x, (1, 2, 3), func, "x", "((W,), (H, W) or (C, H, W))")
    meaning = {1: "(w,) for a (W,) signal", 2: "(h, w) for an (H, W) image", 3: "(C, h, w)"}
    V.check_ndim(u, (x.ndim,), func, "u", f"({meaning[x.ndim]})")
    if x.ndim == 3 and x.shape[0] != u.shape[0]:
        raise ValueError(
            f"{func}: channel mismatch: input 'x' of shape {x.shape} has {x.shape[0]} "
            f"channel(s) but kernel 'u' of shape {u.shape} has {u.shape[0]}; "
            f"u.shape[0] must equal x.shape[0]"
        )
    if x.ndim == 1:
        padding = V.check_size(padding, func, "padding", 0)
        stride = V.check_size(stride, func, "stride", 1)
        g = Geometry(x.shape, u.shape, padding, stride)
    else:
        g = Geometry(
            x.shape[-2:],
            u.shape[-2:],
            V.check_pair(padding, func, "padding", 0),
            V.check_pair(stride, func, "stride", 1),
        )
    _require_fit(g, func, "kernel 'u'")
    shape3 = (1,) * (3 - x.ndim)
    return x.reshape(shape3 + x.shape), u.reshape(shape3 + u.shape), g, x.ndim


def _pad3(x3: np.ndarray, g: Geometry, fill: float = 0.0) -> np.ndarray:
    (_, _, ph, _, _), (_, _, pw, _, _) = g._axes
    return np.pad(x3, ((0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _index_text(out_index) -> str:
    return "o[" + ", ".join(str(v) for v in out_index) + "]"


def _sum_text(win: np.ndarray, kernel: np.ndarray) -> str:
    return " + ".join(
        f"{_factor(a)}·{_factor(b)}" for a, b in zip(win.ravel(), kernel.ravel(), strict=True)
    )


def _channel_names(C: int) -> list[str]:
    """R, G, B for a three-channel input (the course's colour images), else 0, 1, ..."""
    return list("RGB") if C == 3 else [str(c) for c in range(C)]


def _conv_step(x3, u3, xp, g, ndim, step) -> ConvStep:
    (j, i), rows, cols = _window2d(g, step)
    win3 = xp[:, rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    prod3 = win3 * u3
    per_channel = prod3.reshape(prod3.shape[0], -1).sum(axis=1)
    value = float(per_channel.sum())
    out_index = (i,) if ndim == 1 else (j, i)
    head = _index_text(out_index)
    if ndim < 3:
        text = f"{head} = {_sum_text(win3, u3)} = {_num(value)}"
    else:
        names = _channel_names(win3.shape[0])
        lines = [
            f"canal {names[c]}: {_sum_text(win3[c], u3[c])} = {_num(per_channel[c])}"
            for c in range(win3.shape[0])
        ]
        total = " + ".join(_factor(v) for v in per_channel)
        lines.append(f"{head} = {total} = {_num(value)}")
        text = "\n".join(lines)
    shape = u3.shape[3 - ndim :]
    origin = (int(cols[0]),) if ndim == 1 else (int(rows[0]), int(cols[0]))
    return ConvStep(
        step=int(step),
        out_index=out_index,
        origin=origin,
        window=win3.reshape(shape).copy(),
        products=prod3.reshape(shape),
        value=value,
        text=text,
        geometry=g,
    )


def conv_step(x, u, step: int, padding=0, stride=1) -> ConvStep:
    """One step of a convolution (cross-correlation): window, products, sum, in Spanish.

    ``o[j, i] = sum_c sum_n sum_m xp[c, s*j + n, s*i + m] * u[c, n, m]`` where ``xp`` is
    x with ``padding`` zeros on each side; ``value`` equals ``cnncourse.conv1d`` /
    ``cnncourse.conv2d`` at ``out_index``.

    Parameters
    ----------
    x : array_like, shape (W,), (H, W) or (C, H, W)
    u : array_like, shape (w,), (h, w) or (C, h, w) respectively
    step : int
        Position of the window, 0 <= step < Ho*Wo, row-major over the output.
    padding, stride : int, or (rows, cols) for images

    Returns
    -------
    ConvStep
        Fields ``step, out_index, origin, window, products, value, text, geometry``.

    Examples
    --------
    >>> r = conv_step([[2, 3, 1], [5, 6, 0]], [[1, 0], [0, -1]], step=0)
    >>> print(r.text)
    o[0, 0] = 2·1 + 3·0 + 5·0 + 6·(−1) = −4
    >>> r.value, r.out_index, r.products.tolist()
    (-4.0, (0, 0), [[2.0, 0.0], [0.0, -6.0]])
    >>> print(conv_step([0, 0, 0, 0, 1, 2, 3, 3], [-1, 1], step=3))
    o[3] = 0·(−1) + 1·1 = 1
    >>> x = np.stack([np.eye(3), np.ones((3, 3)), np.zeros((3, 3))])
    >>> print(conv_step(x, np.ones((3, 2, 2)), step=1).text)
    canal R: 0·1 + 0·1 + 1·1 + 0·1 = 1
    canal G: 1·1 + 1·1 + 1·1 + 1·1 = 4
    canal B: 0·1 + 0·1 + 0·1 + 0·1 = 0
    o[0, 1] = 1 + 4 + 0 = 5
    """
    x3, u3, g, ndim = _conv_inputs("conv_step", x, u, padding, stride)
    g._out_index(step, "conv_step")
    return _conv_step(x3, u3, _pad3(x3, g), g, ndim, step)


def conv_steps_text(x, u, padding=0, stride=1) -> str:
    """Every output value written as its sum of products, one step after another.

    The hand-worked example of a notebook: ``conv_step(x, u, t).text`` for every
    step t, separated by newlines (by blank lines when x has channels).

    Examples
    --------
    >>> print(conv_steps_text([1, 2, 4], [-1, 1]))
    o[0] = 1·(−1) + 2·1 = 1
    o[1] = 2·(−1) + 4·1 = 2
    """
    x3, u3, g, ndim = _conv_inputs("conv_steps_text", x, u, padding, stride)
    xp = _pad3(x3, g)
    texts = [_conv_step(x3, u3, xp, g, ndim, t).text for t in range(g.n_steps)]
    return ("\n\n" if ndim == 3 else "\n").join(texts)


def _conv_all(x3, u3, g) -> np.ndarray:
    """Every output value (Ho, Wo), the same sums as conv_step, vectorised."""
    from numpy.lib.stride_tricks import sliding_window_view

    (_, _, _, sh, _), (_, _, _, sw, _) = g._axes
    win = sliding_window_view(_pad3(x3, g), u3.shape[1:], axis=(1, 2))[:, ::sh, ::sw]
    Ho, Wo = g._raw(0), g._raw(1)
    return np.einsum("cjinm,cnm->ji", win[:, :Ho, :Wo], u3)


@dataclass(frozen=True)
class PoolStep:
    """One output value of a pooling, with its arithmetic.

    Attributes
    ----------
    step : int
    out_index : (j, i)
    origin : (row, col) of the window's top-left cell in the padded input
    window : ndarray (h, w)
        Values under the window; padding cells hold -inf (max), +inf (min) or 0
        (avg), so that padding never wins.
    is_padding : ndarray of bool (h, w)
    value : float
        What the window yields: its max, min, or sum / (h*w) for avg.
    winner : (n, m) or None
        Position in the window of the first max/min (row-major), None for avg.
    mode : str
    text : str
        The arithmetic in Spanish, e.g. ``máx(1, 3, 2, 9) = 9``.
    geometry : Geometry
    """

    step: int
    out_index: tuple[int, int]
    origin: tuple[int, int]
    window: np.ndarray
    is_padding: np.ndarray
    value: float
    winner: tuple[int, int] | None
    mode: str
    text: str
    geometry: Geometry = field(repr=False)

    def __str__(self) -> str:
        return self.text


def _pool_inputs(func, x, kernel_size, stride, padding, mode):
    from .functional import _pool_args

    x = V.as_float_array(x, func, "x")
    V.check_ndim(x, (2,), func, "x", "((H, W))")
    _, _, kernel_size, stride, padding, _, _, mode, fill = _pool_args(
        func, x, kernel_size, stride, padding, mode
    )
    g = Geometry(x.shape, kernel_size, padding, stride)
    return x[None], g, mode, fill


def _pool_step(x3, xp, pad_mask, g, mode, step) -> PoolStep:
    (j, i), rows, cols = _window2d(g, step)
    sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    win = xp[0][sl].copy()
    is_pad = pad_mask[sl].copy()
    items = ", ".join(_num(v) for v in win.ravel())
    name = _POOL_NAMES[mode]
    if mode == "avg":
        value = float(win.sum() / win.size)
        terms = " + ".join(_factor(v) for v in win.ravel())
        text = f"{name}({items}) = ({terms})/{win.size} = {_num(value)}"
        winner = None
    else:
        flat = int(np.argmax(win) if mode == "max" else np.argmin(win))
        value = float(win.ravel()[flat])
        winner = tuple(int(v) for v in divmod(flat, win.shape[1]))
        text = f"{name}({items}) = {_num(value)}"
    return PoolStep(
        step=int(step),
        out_index=(j, i),
        origin=(int(rows[0]), int(cols[0])),
        window=win,
        is_padding=is_pad,
        value=value,
        winner=winner,
        mode=mode,
        text=f"{_index_text((j, i))} = {text}",
        geometry=g,
    )


def _pool_padded(x3, g, fill):
    xp = _pad3(x3, g, fill)
    mask = _pad3(np.zeros_like(x3, dtype=bool), g, True)[0]
    return xp, mask


def pool_step(x, step: int, kernel_size=2, stride=None, padding=0, mode="max") -> PoolStep:
    """One step of a pooling: the window and the value it yields, in Spanish.

    Same rules as :func:`cnncourse.pool2d`: stride defaults to kernel_size; padding
    is at most half the window and never wins (-inf for max, +inf for min); avg
    divides by the full window, padding included.

    Parameters
    ----------
    x : array_like, shape (H, W)
    step : int, 0 <= step < Ho*Wo (row-major over the output)
    kernel_size, stride, padding : int or (rows, cols)
    mode : {"max", "avg", "min"}

    Returns
    -------
    PoolStep
        Fields ``step, out_index, origin, window, is_padding, value, winner, mode,
        text, geometry``.

    Examples
    --------
    >>> x = np.array([[1., 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]])
    >>> print(pool_step(x, 0).text)
    o[0, 0] = máx(1, 3, 2, 9) = 9
    >>> print(pool_step(x, 2, mode="avg").text)
    o[1, 0] = media(0, 0, 0, 4) = (0 + 0 + 0 + 4)/4 = 1
    >>> pool_step(x, 0).winner
    (1, 1)
    """
    x3, g, mode, fill = _pool_inputs("pool_step", x, kernel_size, stride, padding, mode)
    g._out_index(step, "pool_step")
    xp, mask = _pool_padded(x3, g, fill)
    return _pool_step(x3, xp, mask, g, mode, step)


# ----------------------------------------------------------------------------
# drawing (matplotlib imported lazily)
# ----------------------------------------------------------------------------
def _cells(ax, cells, face, edge, linestyle="-", gid=None, offset=(0.0, 0.0), lw=1.0):
    """One PolyCollection of unit squares at (row, col) ``cells`` (fast to build and draw).

    The cells are kept on the collection as ``collection.cells`` (an (n, 2) array).
    """
    from matplotlib.collections import PolyCollection

    cells = np.asarray(cells, dtype=float).reshape(-1, 2)
    corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)  # (dx, dy)
    xy = cells[:, ::-1] + np.asarray(offset, dtype=float)[::-1]  # (x = col, y = row)
    coll = PolyCollection(
        xy[:, None, :] + corners[None],
        facecolors=face,
        edgecolors=edge,
        linestyles=linestyle,
        linewidths=lw,
    )
    coll.set_gid(gid)
    coll.cells = cells.astype(int)
    ax.add_collection(coll, autolim=False)
    return coll


def _box(ax, r, c, face, edge, gid, offset=(0.0, 0.0), lw=2.0, alpha=1.0, ls="-", h=1, w=1):
    """One highlighted Rectangle (inspectable through its gid)."""
    from matplotlib.patches import Rectangle

    rect = Rectangle(
        (c + offset[1], r + offset[0]),
        w,
        h,
        facecolor=face,
        edgecolor=edge,
        linewidth=lw,
        alpha=alpha,
        linestyle=ls,
        gid=gid,
    )
    ax.add_patch(rect)
    return rect


def _frame(ax, nrows: float, ncols: float, title: str, left: float = 0.15) -> None:
    ax.set_xlim(-left, ncols + 0.15)
    ax.set_ylim(nrows + 0.15, -0.15)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)


def _input_grid(ax, g: Geometry, offset=(0.0, 0.0)) -> None:
    """The padded input: real cells solid blue, padding cells dashed grey."""
    (H, _, ph, _, _), (W, _, pw, _, _) = g._axes
    Hp, Wp = H + 2 * ph, W + 2 * pw
    real = [(r, c) for r in range(ph, ph + H) for c in range(pw, pw + W)]
    pad = [
        (r, c) for r in range(Hp) for c in range(Wp) if not (ph <= r < ph + H and pw <= c < pw + W)
    ]
    if pad:
        _cells(ax, pad, _PAD_FACE, _PAD_EDGE, linestyle="--", gid="padding", offset=offset)
    _cells(ax, real, _INPUT_FACE, _INPUT_EDGE, gid="input", offset=offset)


def _window_boxes(ax, g, rows, cols, offset=(0.0, 0.0)) -> None:
    for r in rows:
        for c in cols:
            _box(ax, r, c, _WINDOW_FACE, _WINDOW_EDGE, f"window {r} {c}", offset, alpha=0.75)
    if len(rows) > 1 and rows[1] - rows[0] > 1 or len(cols) > 1 and cols[1] - cols[0] > 1:
        # dilation: outline the span the taps are spread over
        _box(
            ax,
            rows[0],
            cols[0],
            "none",
            _WINDOW_EDGE,
            "window span",
            offset,
            lw=1.2,
            ls=":",
            h=rows[-1] - rows[0] + 1,
            w=cols[-1] - cols[0] + 1,
        )


def _output_grid(ax, shape, step: int, offset=(0.0, 0.0)) -> None:
    """Output cells: done (steps before ``step``) darker, the current one highlighted."""
    Ho, Wo = shape
    cells = [(j, i) for j in range(Ho) for i in range(Wo)]
    _cells(ax, cells[step + 1 :], _OUT_FACE, _OUT_EDGE, gid="output", offset=offset)
    if step:
        _cells(ax, cells[:step], _DONE_FACE, _OUT_EDGE, gid="output done", offset=offset)
    j, i = cells[step]
    _box(ax, j, i, _CURRENT_FACE, "#0b4f1c", f"current {j} {i}", offset, lw=2.5)


class _Scene:
    """A drawing in two layers: ``static(axes)`` does not depend on the step,
    ``dynamic(axes, step)`` does. The public draw functions run both; the widgets
    render the static layer once and redraw only the dynamic one on each step.
    """

    def draw(self, axes, step):
        self.static(axes, skip=self.window_cells(step))
        return self.dynamic(axes, step)

    def window_cells(self, step) -> set:  # cells whose text the dynamic layer writes
        return set()


class _ArithmeticScene(_Scene):
    def __init__(self, geometry: Geometry, func: str = "draw_arithmetic"):
        if not isinstance(geometry, Geometry):
            raise TypeError(
                f"{func}: argument 'geometry' must be a Geometry, got {V._describe(geometry)}"
            )
        geometry._out_index(0, func)  # the window must fit
        self.g, self.func = geometry, func
        self.Hp, self.Wp = (n + 2 * p for n, _, p, _, _ in geometry._axes)
        self.Ho, self.Wo = geometry._raw(0), geometry._raw(1)

    def static(self, axes, skip=()):
        ax_in, ax_out = axes
        _input_grid(ax_in, self.g)
        _frame(ax_in, self.Hp, self.Wp, f"{self.g._input_name_es()} ({self.Hp} × {self.Wp})")
        _frame(ax_out, self.Hp, self.Wp, f"salida ({self.Ho} × {self.Wo})")

    def dynamic(self, axes, step):
        ax_in, ax_out = axes
        _, rows, cols = _window2d(self.g, step, self.func)
        _window_boxes(ax_in, self.g, rows, cols)
        offset = ((self.Hp - self.Ho) / 2, (self.Wp - self.Wo) / 2)
        _output_grid(ax_out, (self.Ho, self.Wo), int(step), offset)
        return ax_in.figure


def draw_arithmetic(ax_in, ax_out, geometry: Geometry, step: int):
    """Draw one step of the window arithmetic in the style of Dumoulin & Visin's guide.

    ``ax_in`` shows the padded input as a grid (padding cells grey and dashed) with
    the window's cells highlighted in orange (dilated kernels leave gaps, and a dotted
    outline marks their span); ``ax_out`` shows the output grid, the cells already
    produced in green and the one this step produces darker. Both axes get the same
    limits, so input and output cells are the same size. The axes are not cleared.

    Patches carry gids for inspection: collections ``"input"``, ``"padding"``,
    ``"output"``, ``"output done"`` (their cells in ``collection.cells``); rectangles
    ``"window r c"`` (padded row, col), ``"window span"`` and ``"current j i"``.

    Raises
    ------
    ValueError
        When ``geometry.ok`` is False or ``step`` is out of range.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax_in``.
    """
    scene = _ArithmeticScene(geometry)
    geometry._out_index(step, "draw_arithmetic")
    return scene.draw((ax_in, ax_out), step)


def _cell_points(ax, nrows: float, ncols: float) -> float:
    """Side of one grid cell in points, given the extent drawn in ``ax``."""
    fig = ax.figure
    pos = ax.get_position()
    width = pos.width * fig.get_figwidth() * 72 / max(ncols, 1)
    height = pos.height * fig.get_figheight() * 72 / max(nrows, 1)
    return min(width, height)


def _font_size(cell: float, *arrays) -> float:
    """A font size that fits the longest number of ``arrays`` in a cell of ``cell`` points."""
    longest = max(len(_num(v)) for a in arrays for v in np.ravel(a))
    return float(np.clip(min(0.45 * cell, 1.5 * cell / longest), 4, 14))


def _write(ax, values, size, offset=(0.0, 0.0), color="black", cells=None, bold=None):
    """Write values at the centre of their cells: all of them, or only ``cells``."""
    values = np.asarray(values)
    where = np.ndindex(*values.shape) if cells is None else sorted(cells)
    for r, c in where:
        ax.text(
            c + offset[1] + 0.5,
            r + offset[0] + 0.5,
            _num(values[r, c]),
            ha="center",
            va="center",
            fontsize=size,
            color=color(r, c) if callable(color) else color,
            fontweight="bold" if bold == (r, c) else "normal",
        )


class _ConvScene(_Scene):
    """A small numeric convolution: padded input, kernel and output, with numbers."""

    gap = 0.6  # rows between stacked channels

    def __init__(self, x, u, padding, stride, func="draw_step"):
        self.x3, self.u3, self.g, self.ndim = _conv_inputs(func, x, u, padding, stride)
        self.func = func
        self.xp = _pad3(self.x3, self.g)
        self.out = _conv_all(self.x3, self.u3, self.g)
        self.C, self.Hp, self.Wp = self.xp.shape
        self.height = self.C * self.Hp + (self.C - 1) * self.gap
        (H, _, ph, _, _), (W, _, pw, _, _) = self.g._axes
        self.real = (slice(ph, ph + H), slice(pw, pw + W))

    def _offset(self, c):
        return (c * (self.Hp + self.gap), 0.0)

    def _colour(self, r, c):
        rows, cols = self.real
        inside = rows.start <= r < rows.stop and cols.start <= c < cols.stop
        return "black" if inside else "#8a8a8a"

    def window_cells(self, step):
        _, rows, cols = _window2d(self.g, step, self.func)
        return {(int(r), int(c)) for r in rows for c in cols}

    def static(self, axes, skip=()):
        ax_in, ax_kernel, ax_out = axes
        padded = self.real != (slice(0, self.Hp), slice(0, self.Wp))
        title = "x con padding" if padded else "x"
        _frame(ax_in, self.height, self.Wp, title, left=1.4 if self.C > 1 else 0.15)
        self.cell = _cell_points(ax_in, self.height, self.Wp + (1.25 if self.C > 1 else 0))
        self.size = _font_size(self.cell, self.xp, self.u3, self.out)
        keep = {(r, c) for r in range(self.Hp) for c in range(self.Wp)} - set(skip)
        for c in range(self.C):
            off = self._offset(c)
            _input_grid(ax_in, self.g, off)
            _write(ax_in, self.xp[c], self.size, off, color=self._colour, cells=keep)
            if self.C > 1:
                ax_in.text(
                    -0.25,
                    off[0] + self.Hp / 2,
                    _channel_names(self.C)[c] if self.C == 3 else f"c={c}",
                    ha="right",
                    va="center",
                    fontsize=8,
                )
        kh, kw = self.u3.shape[1:]
        _frame(ax_kernel, self.height, max(kw, 1), "u")
        for c in range(self.C):
            off = self._offset(c)
            taps = [(r, q) for r in range(kh) for q in range(kw)]
            _cells(ax_kernel, taps, _WINDOW_FACE, _WINDOW_EDGE, gid="kernel", offset=off)
            _write(ax_kernel, self.u3[c], self.size, off)
        Ho, Wo = self.out.shape
        _frame(ax_out, max(Ho, self.height), Wo, "o")

    def dynamic(self, axes, step):
        ax_in, _, ax_out = axes
        result = _conv_step(self.x3, self.u3, self.xp, self.g, self.ndim, step)
        _, rows, cols = _window2d(self.g, step, self.func)
        cells = self.window_cells(step)
        for c in range(self.C):
            off = self._offset(c)
            _window_boxes(ax_in, self.g, rows, cols, off)
            _write(ax_in, self.xp[c], self.size, off, color=self._colour, cells=cells)
        Ho, Wo = self.out.shape
        _output_grid(ax_out, (Ho, Wo), int(step))
        done = {divmod(t, Wo) for t in range(int(step) + 1)}
        _write(ax_out, self.out, self.size, cells=done)
        return result


def draw_step(ax_in, ax_kernel, ax_out, x, u, step: int, padding=0, stride=1):
    """Draw one step of a small numeric convolution, numbers written in the cells.

    ``ax_in``: the padded input x with its values (padding cells dashed, their zeros
    grey), the window highlighted; channels of a (C, H, W) input are stacked top to
    bottom. ``ax_kernel``: u with its values. ``ax_out``: the output cells produced so
    far with their values, the current one highlighted. Same arguments as
    :func:`conv_step`, whose ``text`` is the arithmetic of this drawing.

    Returns
    -------
    ConvStep
        ``conv_step(x, u, step, padding, stride)``.
    """
    scene = _ConvScene(x, u, padding, stride)
    scene.g._out_index(step, "draw_step")
    return scene.draw((ax_in, ax_kernel, ax_out), step)


class _PoolScene(_Scene):
    """A pooling on a small (H, W) input, with numbers."""

    def __init__(self, x, kernel_size, stride, padding, mode, func="draw_pool_step"):
        self.x3, self.g, self.mode, fill = _pool_inputs(func, x, kernel_size, stride, padding, mode)
        self.func = func
        self.xp, self.mask = _pool_padded(self.x3, self.g, fill)
        self.Hp, self.Wp = self.mask.shape
        self.Ho, self.Wo = self.g._raw(0), self.g._raw(1)
        self.out = np.array([self._step(t).value for t in range(self.Ho * self.Wo)]).reshape(
            self.Ho, self.Wo
        )

    def _step(self, step):
        return _pool_step(self.x3, self.xp, self.mask, self.g, self.mode, step)

    def _colour(self, r, c):
        return "#8a8a8a" if self.mask[r, c] else "black"

    def window_cells(self, step):
        _, rows, cols = _window2d(self.g, step, self.func)
        return {(int(r), int(c)) for r in rows for c in cols}

    def static(self, axes, skip=()):
        ax_in, ax_out = axes
        _frame(ax_in, self.Hp, self.Wp, "x con padding" if self.mask.any() else "x")
        self.cell = _cell_points(ax_in, self.Hp, self.Wp)
        self.size = _font_size(self.cell, self.xp, self.out)
        _input_grid(ax_in, self.g)
        keep = {(r, c) for r in range(self.Hp) for c in range(self.Wp)} - set(skip)
        _write(ax_in, self.xp[0], self.size, color=self._colour, cells=keep)
        title = f"{_POOL_NAMES[self.mode]} → salida ({self.Ho} × {self.Wo})"
        _frame(ax_out, self.Hp, self.Wp, title)

    def dynamic(self, axes, step):
        ax_in, ax_out = axes
        result = self._step(step)
        _, rows, cols = _window2d(self.g, step, self.func)
        _window_boxes(ax_in, self.g, rows, cols)
        bold = None
        if result.winner is not None:
            bold = (int(rows[result.winner[0]]), int(cols[result.winner[1]]))
            _box(ax_in, *bold, "none", "#c0392b", f"winner {bold[0]} {bold[1]}", lw=2.5)
        cells = self.window_cells(step)
        _write(ax_in, self.xp[0], self.size, color=self._colour, cells=cells, bold=bold)
        offset = ((self.Hp - self.Ho) / 2, (self.Wp - self.Wo) / 2)
        _output_grid(ax_out, (self.Ho, self.Wo), int(step), offset)
        done = {divmod(t, self.Wo) for t in range(int(step) + 1)}
        _write(ax_out, self.out, self.size, offset, cells=done)
        return result


def draw_pool_step(ax_in, ax_out, x, step: int, kernel_size=2, stride=None, padding=0, mode="max"):
    """Draw one step of a pooling on a small (H, W) input, numbers written in the cells.

    ``ax_in``: the (padded) input with its values and the window highlighted; for
    max/min the winning cell's value is bold and outlined (gid ``"winner r c"``).
    ``ax_out``: the values produced so far, the current one highlighted. Same
    arguments as :func:`pool_step`.

    Returns
    -------
    PoolStep
        ``pool_step(x, step, kernel_size, stride, padding, mode)``.
    """
    scene = _PoolScene(x, kernel_size, stride, padding, mode)
    scene.g._out_index(step, "draw_pool_step")
    return scene.draw((ax_in, ax_out), step)
