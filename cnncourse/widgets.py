"""Interactive explorers for the notebooks: move kernel weights, see the output live.

``kernel_explorer(image)`` (2D) and ``signal_explorer(signal)`` (1D) build ipywidgets
user interfaces. All the logic lives in two plain classes, :class:`KernelExplorerModel`
and :class:`SignalExplorerModel`, which tests (and curious students) can drive without
a browser: set a weight or a preset, read ``output``.

``conv_arithmetic_explorer()``, ``pool_arithmetic_explorer()`` and
``sweep_explorer(x, u)`` move a window position by position (Dumoulin & Visin's
convolution arithmetic, and the numeric sweeps of notebooks 01-03); their arithmetic
and drawing are the pure functions of :mod:`cnncourse.arithmetic`.

Widget callbacks may arrive on two threads at once (the kernel's main thread and
ipykernel's subshell/control thread). Every explorer therefore changes its state under
a lock and redraws through :class:`_LiveView`: a consistent snapshot of the state is
drawn by one thread at a time per figure, and updates that pile up while it draws
collapse into one redraw of the latest state (:class:`_LatestOnly`).

ipywidgets and matplotlib are imported lazily, inside the functions that need them, so
``import cnncourse`` stays light. The panels are ``ipywidgets.Image`` widgets whose
PNG bytes are replaced on every change (no figure is re-created), which keeps a
512 x 512 image responsive without the ipympl backend.
"""

from __future__ import annotations

import html
import threading
from types import SimpleNamespace

import numpy as np

from . import arithmetic as A
from . import functional as F
from .data import kernels_1d, kernels_2d, to_grayscale

__all__ = [
    "KernelExplorerModel",
    "SignalExplorerModel",
    "kernel_explorer",
    "signal_explorer",
    "conv_arithmetic_explorer",
    "pool_arithmetic_explorer",
    "sweep_explorer",
]

_CUSTOM = "personalizado"  # the preset menu's entry for a kernel that is no preset


class _KernelModel:
    """What both explorers share: the current kernel, presets and a cached output.

    Subclasses call ``_setup(kernel, presets)`` and implement ``_check(kernel)`` and
    ``_compute()``. The weights are kept exactly as given (a preset's 1/9 stays 1/9,
    whatever a slider can display). ``preset_name`` names the preset whose weights
    equal the kernel's (None for any other kernel). Every method holds ``lock`` (a
    re-entrant lock), so callbacks on several threads see a kernel, its output and its
    preset that belong together.
    """

    def _setup(self, kernel, presets) -> None:
        self.lock = threading.RLock()
        self.presets = {k: np.array(v, dtype=np.float64) for k, v in presets.items()}
        self._kernel = np.array(kernel, dtype=np.float64)

    @property
    def kernel(self) -> np.ndarray:
        """A copy of the current kernel."""
        with self.lock:
            return self._kernel.copy()

    def matching_preset(self) -> str | None:
        """The name of the first preset with the current weights, or None."""
        with self.lock:
            for name, k in self.presets.items():
                if k.shape == self._kernel.shape and np.allclose(
                    k, self._kernel, rtol=0, atol=1e-9
                ):
                    return name
            return None

    def _changed(self) -> None:
        self._output = None
        self.preset_name = self.matching_preset()

    def set_kernel(self, kernel) -> None:
        """Replace the whole kernel (same rules as the constructor's)."""
        kernel = np.array(kernel, dtype=np.float64)
        with self.lock:
            self._check(kernel)
            self._kernel = kernel
            self._changed()

    def set_preset(self, name: str) -> None:
        """Load a preset kernel by name (see ``presets``), with its exact weights."""
        if name not in self.presets:
            raise KeyError(
                f"set_preset: unknown preset {name!r}; choose one of {list(self.presets)}"
            )
        with self.lock:
            self.set_kernel(self.presets[name])
            self.preset_name = name

    @property
    def output(self) -> np.ndarray:
        """The convolution of the input with the kernel (cached until the kernel changes)."""
        with self.lock:
            if self._output is None:
                self._output = self._compute()
            return self._output

    def snapshot(self) -> SimpleNamespace:
        """kernel (a copy), output, preset_name and describe() of one and the same state."""
        with self.lock:
            return SimpleNamespace(
                kernel=self.kernel,
                output=self.output,
                preset_name=self.preset_name,
                text=self.describe(),
            )

    def _range_text(self) -> str:
        o = self.output
        return f"(o toma valores en [{o.min():.4g}, {o.max():.4g}])"


class KernelExplorerModel(_KernelModel):
    """State of the 2D explorer: a grayscale image, a kernel and their convolution.

    Parameters
    ----------
    image : array (H, W), or a colour image (3, H, W) / (H, W, 3) which is converted
        to grayscale.
    kernel : array (h, w), optional; default the identity 3 x 3 kernel.
    presets : dict {name: kernel}, optional; default :func:`cnncourse.data.kernels_2d`.
    padding : int, zero padding passed to :func:`cnncourse.conv2d`.

    Examples
    --------
    >>> m = KernelExplorerModel(np.arange(25.0).reshape(5, 5))
    >>> m.preset_name
    'identidad'
    >>> m.output_shape
    (3, 3)
    >>> m.set_weight(1, 1, 2.0)
    >>> float(m.output[0, 0])
    12.0
    >>> m.preset_name is None
    True
    """

    def __init__(self, image, kernel=None, presets=None, padding: int = 0):
        image = np.asarray(image)
        if image.ndim == 3:
            image = to_grayscale(image)
        if image.ndim != 2:
            raise ValueError(
                f"kernel_explorer: image must be (H, W) or a colour image (3, H, W) / "
                f"(H, W, 3), got shape {image.shape}"
            )
        self.image = np.array(image, dtype=np.float64)  # a private copy
        self.image.setflags(write=False)
        presets = kernels_2d() if presets is None else presets
        if kernel is None:
            kernel = presets.get("identidad", np.eye(3)[1][:, None] * np.eye(3)[1])
        self._setup(kernel, presets)
        self.padding = padding
        if self._kernel.ndim != 2:
            raise ValueError(f"kernel_explorer: kernel must be 2D, got shape {self._kernel.shape}")
        self._changed()

    def _check(self, kernel) -> None:
        if kernel.shape != self._kernel.shape:
            raise ValueError(
                f"set_kernel: kernel must keep shape {self._kernel.shape}, got {kernel.shape}"
            )

    def _compute(self) -> np.ndarray:
        return F.conv2d(self.image, self._kernel, padding=self.padding)

    def set_weight(self, row: int, col: int, value: float) -> None:
        """Set one kernel weight u[row, col] (the sliders call this)."""
        with self.lock:
            h, w = self._kernel.shape
            if not (0 <= row < h and 0 <= col < w):
                raise IndexError(f"set_weight: ({row}, {col}) is outside a {h} x {w} kernel")
            self._kernel[row, col] = float(value)
            self._changed()

    @property
    def output_shape(self) -> tuple[int, int]:
        H, W = self.image.shape
        h, w = self._kernel.shape
        p = self.padding
        return (F.output_size(H, h, p), F.output_size(W, w, p))

    def describe(self) -> str:
        """One line for the shape label, e.g. 'x (600, 512) ⊛ u (3, 3) → o (598, 510)'."""
        with self.lock:
            return (
                f"x {self.image.shape} ⊛ u {self._kernel.shape} → o {self.output.shape}  "
                f"{self._range_text()}"
            )


class SignalExplorerModel(_KernelModel):
    """State of the 1D explorer: a signal, a kernel and ``cnncourse.conv1d`` of both.

    Examples
    --------
    >>> m = SignalExplorerModel([0, 0, 0, 0, 1, 2, 3, 3], kernel=[-1, 1])
    >>> m.output.tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    """

    def __init__(self, signal, kernel=None, presets=None):
        signal = np.array(signal, dtype=np.float64)
        if signal.ndim != 1:
            raise ValueError(f"signal_explorer: signal must be 1D (W,), got shape {signal.shape}")
        self.signal = signal
        self.signal.setflags(write=False)
        presets = kernels_1d() if presets is None else presets
        if kernel is None:
            kernel = presets.get("identidad", np.array([0.0, 1.0, 0.0]))
        self._setup(kernel, presets)
        if self._kernel.ndim != 1:
            raise ValueError(f"signal_explorer: kernel must be 1D, got shape {self._kernel.shape}")
        self._changed()

    def _check(self, kernel) -> None:
        if kernel.ndim != 1 or kernel.size > self.signal.size:
            raise ValueError(
                f"set_kernel: kernel must be 1D and not longer than the signal "
                f"({self.signal.size}), got shape {kernel.shape}"
            )

    def _compute(self) -> np.ndarray:
        return F.conv1d(self.signal, self._kernel)

    def set_weight(self, index: int, value: float) -> None:
        with self.lock:
            if not 0 <= index < self._kernel.size:
                raise IndexError(
                    f"set_weight: index {index} outside a kernel of length {self._kernel.size}"
                )
            self._kernel[index] = float(value)
            self._changed()

    @property
    def output_shape(self) -> tuple[int]:
        return (F.output_size(self.signal.size, self._kernel.size),)

    def describe(self) -> str:
        with self.lock:
            return (
                f"x {self.signal.shape} ⊛ u {self._kernel.shape} → o {self.output.shape}  "
                f"{self._range_text()}"
            )


# ----------------------------------------------------------------------------
# shared machinery: thread-safe, coalesced redraws of PNG panels
# ----------------------------------------------------------------------------
class _LatestOnly:
    """Call ``draw()`` for the latest state: never twice at once, skipping piled-up requests.

    ``request()`` marks the state as changed. If no drawing is running, the calling
    thread draws (again and again while new requests arrive meanwhile); if one is
    running on another thread, the call returns at once and that thread redraws with
    the latest state when it finishes. Single-threaded, every request draws before
    it returns, so a slider change has updated the panel when ``.value = ...`` returns.
    """

    def __init__(self, draw):
        self._draw = draw
        self._drawing = threading.Lock()
        self._flag = threading.Lock()
        self._pending = False
        self.draws = 0  # how many drawings ran (for tests and measurements)

    def request(self) -> None:
        with self._flag:
            self._pending = True
        while True:
            if not self._drawing.acquire(blocking=False):
                return  # the thread drawing now will see _pending
            try:
                while True:
                    with self._flag:
                        if not self._pending:
                            break
                        self._pending = False
                    self._draw()
                    self.draws += 1
            finally:
                self._drawing.release()
            with self._flag:  # a request may have slipped in between the check and release
                if not self._pending:
                    return


class _LiveView:
    """A lock-guarded state drawn through a :class:`_LatestOnly` painter.

    ``update(change)`` runs ``change()`` (which edits the state and widgets) under
    ``lock`` and then requests a redraw, unless ``change()`` returned False. A call
    made while the same thread is already inside ``update`` (our own widget edits
    echoing back through their observers) is skipped: the outer call redraws. The
    painter takes ``snapshot()`` under the lock and calls ``draw(snapshot)`` outside
    it, one drawing at a time; ``shown`` is the last snapshot drawn.
    """

    def __init__(self, snapshot, draw, lock=None):
        self.lock = threading.RLock() if lock is None else lock
        self._snapshot = snapshot
        self._draw = draw
        self._busy = False
        self.shown = None
        self.painter = _LatestOnly(self._redraw)

    def _redraw(self) -> None:
        with self.lock:
            state = self._snapshot()
        self._draw(state)
        self.shown = state

    def update(self, change=None) -> None:
        with self.lock:
            if self._busy:
                return
            self._busy = True
            try:
                changed = change() if change is not None else None
            finally:
                self._busy = False
        if changed is not False:
            self.painter.request()


class _PngFigure:
    """A matplotlib Figure (no pyplot) rendered to PNG bytes with Agg and Pillow.

    :meth:`png` draws the whole figure. :meth:`render` draws a two-layer scene of
    :mod:`cnncourse.arithmetic`: the static layer (grids and numbers, the costly part)
    only when ``key`` changes, kept as a bitmap; on every call, the dynamic layer
    (window, output cells) is drawn over a copy of that bitmap (matplotlib's blitting).
    Call either from one thread at a time (a :class:`_LiveView`'s ``draw``).
    """

    def __init__(self, figsize, dpi: int = 80, **subplots):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(**subplots)
        self.figure.subplots_adjust(left=0.03, right=0.97, top=0.9, bottom=0.03, wspace=0.15)
        self._key = object()  # never equal to a real key
        self._scene = None
        self._background = None
        self._dynamic = []

    def _artists(self) -> list:
        return [a for ax in np.ravel(self.axes) for a in (*ax.collections, *ax.patches, *ax.texts)]

    def wipe(self) -> None:
        """Remove what the drawing functions added (cheaper than Axes.clear())."""
        for artist in self._artists():
            artist.remove()
        self._dynamic = []

    def png(self) -> bytes:
        """The whole figure, drawn now, as PNG bytes."""
        self.canvas.draw()
        return self._encode()

    def render(self, key, make_scene, step):
        """Draw ``make_scene()`` (rebuilt only when ``key`` changes) at ``step``.

        Returns (png bytes, what the scene's dynamic layer returned).
        """
        if key != self._key:
            self.wipe()
            self._scene = make_scene()
            self._scene.static(self.axes)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
        for artist in self._dynamic:
            artist.remove()
        before = {id(a) for a in self._artists()}
        result = self._scene.dynamic(self.axes, step)
        added = [a for a in self._artists() if id(a) not in before]
        self._dynamic = added
        self.canvas.restore_region(self._background)
        for artist in sorted(added, key=lambda a: a.get_zorder()):  # stable: creation order
            artist.set_animated(True)
            artist.axes.draw_artist(artist)
        return self._encode(), result

    def _encode(self) -> bytes:
        import io

        from PIL import Image

        rgba = np.asarray(self.canvas.buffer_rgba())
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(buf, "png", compress_level=1)
        return buf.getvalue()


class _ExplorerUI:
    """Holds the widgets of an explorer; displays as its root widget in Jupyter."""

    def __init__(self, model, widget, sliders, dropdown, label, panels, render):
        self.model = model
        self.widget = widget
        self.sliders = sliders
        self.dropdown = dropdown
        self.label = label
        self.panels = panels
        self.render = render

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


# ----------------------------------------------------------------------------
# kernel explorers: kernel_explorer (2D), signal_explorer (1D)
# ----------------------------------------------------------------------------
def _slider_value(weight: float, limit: float, step: float) -> float:
    """The value closest to ``weight`` that a slider from -limit to limit in ``step``
    steps can hold (what it displays for that weight).

    >>> _slider_value(1 / 9, 5.0, 0.01)
    0.11
    >>> _slider_value(7.0, 5.0, 0.01)
    5.0
    """
    n = np.floor((weight + limit) / step + 0.5)  # steps counted from the slider's minimum
    return float(np.clip(round(-limit + n * step, 10), -limit, limit))


def _is_manual_change(value: float, weight: float, limit: float, step: float) -> bool:
    """Whether a slider moved to ``value`` changes the exact ``weight`` it shows.

    A value within half a step of what the slider displays for the weight is only
    that display (the browser may send a preset's rounded 1/9 = 0.11 back), not a
    change: the kernel keeps its exact weight and its preset.

    >>> _is_manual_change(0.11, 1 / 9, 5.0, 0.01), _is_manual_change(0.12, 1 / 9, 5.0, 0.01)
    (False, True)
    """
    return abs(float(value) - _slider_value(weight, limit, step)) > step / 2


def _output_limits(output: np.ndarray, fixed: bool, fixed_range) -> tuple[float, float]:
    """The (vmin, vmax) to draw ``output`` with: ``fixed_range`` when ``fixed``, else the
    output's own min and max (so scaling the kernel changes nothing on screen)."""
    if fixed:
        return float(fixed_range[0]), float(fixed_range[1])
    finite = output[np.isfinite(output)]
    if finite.size == 0:
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


def _scale_text(fixed: bool, lo: float, hi: float, what: str, outside: str) -> str:
    """The read-out's scale line; ``outside`` says what happens to values off the scale."""
    if fixed:
        return f"{what}: escala fija [{lo:.4g}, {hi:.4g}] ({outside})"
    return f"{what}: escala propia [{lo:.4g}, {hi:.4g}], ajustada a los valores de o"


def _decimals(step: float) -> int:
    """Decimals to show a multiple of ``step``: 2 for 0.01 or 0.25, 0 for 1."""
    return len(f"{step:.10f}".rstrip("0").split(".")[1])


def _kernel_controls(ipw, model, draw, limit, step, slider_width, fixed_scale):
    """The controls both kernel explorers share, wired to ``model`` through a
    :class:`_LiveView` that uses the model's lock.

    One slider per weight (``slider_width`` px wide: a track of about
    ``slider_width - 160`` px between description and readout), the preset menu (it
    shows the preset the kernel equals, or 'personalizado') and the 'escala fija'
    checkbox. ``draw(state)`` gets ``model.snapshot()`` plus ``state.fixed``.
    Returns (sliders array, dropdown, checkbox, view).
    """
    if not (limit > 0 and step > 0):
        raise ValueError(f"limit and step must be > 0, got limit={limit}, step={step}")
    shape = model.kernel.shape
    names = [n for n, k in model.presets.items() if k.shape == shape and n != _CUSTOM]
    dropdown = ipw.Dropdown(
        options=[*names, _CUSTOM], value=model.preset_name or _CUSTOM, description="kernel"
    )
    scale = ipw.Checkbox(value=bool(fixed_scale), description="escala fija", indent=False)
    sliders = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        sliders[idx] = ipw.FloatSlider(
            value=_slider_value(model.kernel[idx], limit, step),
            min=-limit,
            max=limit,
            step=step,
            description=f"u{list(idx)}",
            continuous_update=True,
            readout_format=f".{_decimals(step)}f",
            layout=ipw.Layout(width=f"{slider_width}px"),
            style={"description_width": "56px"},
        )

    def snapshot():
        state = model.snapshot()
        state.fixed = scale.value
        return state

    view = _LiveView(snapshot, draw, lock=model.lock)

    def show_preset():
        dropdown.value = model.preset_name or _CUSTOM

    # The callbacks read the widgets' values under the lock rather than the change's
    # "new": when another thread set a widget meanwhile, its latest value wins, and
    # sliders, menu and model end up agreeing.
    def on_slider(idx):
        def change():
            value = sliders[idx].value
            if not _is_manual_change(value, model.kernel[idx], limit, step):
                return False  # the slider's rounding of the exact weight, not a change
            model.set_weight(*idx, value)
            show_preset()

        view.update(change)

    def on_preset(_change=None):
        def apply():
            name = dropdown.value
            if name not in names:  # 'personalizado' is no kernel: show the active one
                show_preset()
                return False
            model.set_preset(name)
            for i in np.ndindex(*shape):  # their echoes are skipped (same thread, busy)
                sliders[i].value = _slider_value(model.kernel[i], limit, step)

        view.update(apply)

    for idx in np.ndindex(*shape):
        sliders[idx].observe(lambda _change, idx=idx: on_slider(idx), names="value")
    dropdown.observe(on_preset, names="value")
    scale.observe(lambda _change: view.update(), names="value")
    return sliders, dropdown, scale, view


def _draw_kernel(ax, kernel) -> None:
    """The kernel panel: :func:`cnncourse.plotting.show_kernel` (coloured cells with
    their weights written in) plus grid lines, so that zero (white) cells stay visible."""
    from .plotting import show_kernel

    ax.clear()
    u = np.atleast_2d(kernel)
    show_kernel(u, ax=ax)
    h, w = u.shape
    ax.set_xticks(np.arange(-0.5, w), minor=True)
    ax.set_yticks(np.arange(-0.5, h), minor=True)
    ax.grid(which="minor", color="0.35", lw=1)
    ax.tick_params(which="both", length=0)
    for text in ax.texts:
        text.set_fontsize(11)


def _display_range(a: np.ndarray) -> tuple[float, float]:
    """(0, 255) for an image whose values fit in 0..255 (and exceed 1), else its min/max."""
    lo, hi = float(np.min(a)), float(np.max(a))
    if lo >= 0 and 1 < hi <= 255:
        return 0.0, 255.0
    return (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)


def _finish(ui, view, scale, figures):
    ui.view = view
    ui.painter = view.painter
    ui.scale = scale
    ui.figures = figures
    view.update()  # the first drawing
    return ui


def kernel_explorer(
    image,
    kernel=None,
    presets=None,
    limit: float = 5.0,
    display_size: int = 320,
    *,
    step: float = 0.01,
    fixed_scale: bool = False,
    fixed_range=None,
    slider_width: int = 410,
):
    """An interactive 3 x 3 kernel explorer for a grayscale image (one line in a notebook).

    A grid of sliders sets the kernel weights u[n, m] (from -``limit`` to ``limit`` in
    ``step`` steps), a dropdown loads a preset (identidad, bordes, Sobel, desenfoque,
    enfoque, ...) with its exact weights (1/9 stays 1/9 although a slider shows 0.11),
    and three live panels show the input x, the kernel u (weights written in the cells)
    and the output o = x ⊛ u, with the shapes and the output's value range below.

    The output is drawn with its own min and max (grey levels), or, with the 'escala
    fija' checkbox (``fixed_scale=True``), with the fixed ``fixed_range`` (default the
    input panel's scale, 0..255 for an 8-bit image): then a kernel times 5 looks 5
    times brighter (saturated), as its numbers are.

    Returns an object that Jupyter displays as the widget; its ``model`` attribute is
    the :class:`KernelExplorerModel` driving it, ``view.shown`` the state last drawn
    (with its ``vmin``/``vmax``).
    """
    import ipywidgets as ipw

    from .plotting import array_to_png

    model = KernelExplorerModel(image, kernel=kernel, presets=presets)
    in_range = _display_range(model.image)
    fixed_range = in_range if fixed_range is None else tuple(map(float, fixed_range))
    panel_layout = ipw.Layout(width=f"{display_size}px", height="auto")
    in_panel = ipw.Image(
        value=array_to_png(model.image, vmin=in_range[0], vmax=in_range[1]),
        format="png",
        layout=panel_layout,
    )
    k_fig = _PngFigure((2.4, 2.4))
    k_fig.figure.subplots_adjust(left=0.03, right=0.97, top=0.97, bottom=0.03)
    k_panel = ipw.Image(format="png", layout=ipw.Layout(width="192px", height="192px"))
    out_panel = ipw.Image(format="png", layout=panel_layout)
    label = ipw.HTML()
    drawn = SimpleNamespace(kernel=None)

    def draw(state):
        state.vmin, state.vmax = _output_limits(state.output, state.fixed, fixed_range)
        out_panel.value = array_to_png(state.output, vmin=state.vmin, vmax=state.vmax)
        if drawn.kernel is None or not np.array_equal(drawn.kernel, state.kernel):
            _draw_kernel(k_fig.axes, state.kernel)
            k_panel.value = k_fig.png()
            drawn.kernel = state.kernel
        label.value = _pre(
            state.text,
            _scale_text(
                state.fixed,
                state.vmin,
                state.vmax,
                "niveles de gris de o",
                "lo que queda fuera de la escala se satura",
            ),
        )

    sliders, dropdown, scale, view = _kernel_controls(
        ipw, model, draw, limit, step, slider_width, fixed_scale
    )
    h = sliders.shape[0]
    grid = ipw.VBox(
        [ipw.HBox(list(sliders[r]), layout=ipw.Layout(flex_flow="row wrap")) for r in range(h)]
    )
    titles = ipw.HBox(
        [
            ipw.VBox([ipw.HTML("<b>entrada x</b>"), in_panel]),
            ipw.VBox([ipw.HTML("<b>kernel u</b>"), k_panel]),
            ipw.VBox([ipw.HTML("<b>salida o = x ⊛ u</b>"), out_panel]),
        ]
    )
    root = ipw.VBox([ipw.HBox([dropdown, scale]), grid, titles, label])
    panels = {"input": in_panel, "kernel": k_panel, "output": out_panel}
    ui = _ExplorerUI(model, root, sliders, dropdown, label, panels, view.painter.request)
    return _finish(ui, view, scale, {"kernel": k_fig.figure})


def signal_explorer(
    signal,
    kernel=None,
    presets=None,
    limit: float = 3.0,
    *,
    step: float = 0.01,
    fixed_scale: bool = False,
    fixed_range=None,
    slider_width: int = 410,
):
    """The 1D counterpart of :func:`kernel_explorer`: sliders for a length-3 kernel
    (or the length of ``kernel``), presets (identidad, incremento (0, -1, 1), media móvil,
    segunda derivada) with their exact weights, and live plots of the signal x and the
    output o = x ⊛ u.

    The output's y axis follows its own min and max, or, with 'escala fija'
    (``fixed_scale=True``), stays at ``fixed_range`` (default the signal's range, as
    the x plot shows it). The read-out always gives the output's value range.
    """
    import ipywidgets as ipw

    model = SignalExplorerModel(signal, kernel=kernel, presets=presets)
    fig = _PngFigure((8, 3.6), nrows=2, sharex=True)
    fig.figure.subplots_adjust(left=0.1, right=0.98, top=0.97, bottom=0.14, hspace=0.12)
    ax_in, ax_out = fig.axes
    ax_in.plot(np.arange(model.signal.size), model.signal, lw=1)
    ax_in.set_ylabel("x")
    (line_out,) = ax_out.plot(np.arange(model.output.size), model.output, color="tab:orange", lw=1)
    ax_out.set_ylabel("o = x ⊛ u")
    ax_out.set_xlabel("índice de la muestra")
    for ax in (ax_in, ax_out):
        ax.grid(alpha=0.3)
    fixed_range = ax_in.get_ylim() if fixed_range is None else tuple(map(float, fixed_range))
    panel = ipw.Image(format="png")
    label = ipw.HTML()

    def draw(state):
        o = state.output
        line_out.set_data(np.arange(o.size), o)  # update the existing line, no re-plot
        if state.fixed:
            ax_out.set_ylim(*fixed_range)
        else:
            ax_out.set_autoscaley_on(True)
            ax_out.relim()
            ax_out.autoscale_view(scalex=False)
        state.ylim = ax_out.get_ylim()
        panel.value = fig.png()
        label.value = _pre(
            state.text,
            _scale_text(
                state.fixed,
                *state.ylim,
                "eje vertical de o",
                "lo que queda fuera del eje no se dibuja",
            ),
        )

    sliders, dropdown, scale, view = _kernel_controls(
        ipw, model, draw, limit, step, slider_width, fixed_scale
    )
    controls = ipw.HBox(list(sliders), layout=ipw.Layout(flex_flow="row wrap"))
    root = ipw.VBox([ipw.HBox([dropdown, scale]), controls, panel, label])
    ui = _ExplorerUI(model, root, sliders, dropdown, label, {"plot": panel}, view.painter.request)
    return _finish(ui, view, scale, {"plot": fig.figure})


# ----------------------------------------------------------------------------
# window explorers (cnncourse.arithmetic)
# ----------------------------------------------------------------------------
def _int_slider(ipw, description, value, lo, hi):
    return ipw.IntSlider(
        value=int(np.clip(value, lo, hi)),
        min=lo,
        max=hi,
        description=description,
        continuous_update=True,
        layout=ipw.Layout(width="300px"),
        style={"description_width": "110px"},
    )


def _pre(*blocks: str) -> str:
    return "".join(
        f"<pre style='margin:2px 0; white-space:pre-wrap'>{html.escape(b)}</pre>"
        for b in blocks
        if b
    )


def _where_es(g: A.Geometry, step: int) -> str:
    w = A.window(g, step)
    at = (
        f"la muestra {w.origin[0]}"
        if g.ndim == 1
        else f"la fila {w.origin[0]}, columna {w.origin[1]}"
    )
    out = "o[" + ", ".join(str(v) for v in w.out_index) + "]"
    return (
        f"Posición t = {step} (de 0 a {g.n_steps - 1}): la ventana empieza en {at} de la "
        f"entrada con padding y produce {out}."
    )


def _step_explorer(ipw, sliders, read_state, draw, panel, label):
    """Wire ``sliders`` (dict, with a 'paso' slider) to a lock-guarded, coalesced redraw.

    ``read_state()`` builds the state from the slider values (under the lock) and
    returns (state, n_steps); the 'paso' slider's max follows n_steps, clamping its
    value. ``draw(state)`` renders it (called by one thread at a time).
    """
    current = SimpleNamespace(state=None)
    step = sliders["paso"]

    def sync():
        state, n_steps = read_state()
        step.max = max(n_steps - 1, 0)  # clamps step.value; its echo is skipped (busy)
        step.disabled = n_steps == 0
        state.step = min(step.value, step.max)
        current.state = state

    view = _LiveView(lambda: current.state, draw)

    def on_change(_change=None):
        view.update(sync)

    for s in sliders.values():
        s.observe(on_change, names="value")
    on_change()
    return current, view.painter, on_change


def _show(panel, png: bytes | None) -> None:
    if png is None:
        panel.layout.display = "none"
    else:
        panel.value = png
        panel.layout.display = None


def conv_arithmetic_explorer(
    in_size=5, kernel_size=3, padding=1, stride=2, dilation=1, max_size: int = 10
):
    """Convolution arithmetic, interactive: the window moving over the padded input.

    Sliders set the input size (H, W), the kernel size (h, w), padding, stride and
    dilation, and the step; the drawing (:func:`cnncourse.arithmetic.draw_arithmetic`)
    shows the padded input with the window's cells and the output cell that step
    produces. Below it, the output-size formula with the numbers substituted and a
    Spanish explanation; when the window does not fit, only the explanation.

    Returns an object that Jupyter displays as the widget, with ``sliders`` (a dict:
    H, W, h, w, padding, stride, dilation, paso), ``label``, ``panels["figure"]`` and
    ``model`` (``model.state.geometry`` and ``model.state.step``).
    """
    import ipywidgets as ipw

    (H, W), (h, w) = (np.broadcast_to(v, 2).tolist() for v in (in_size, kernel_size))
    sliders = {
        "H": _int_slider(ipw, "entrada H", H, 1, max_size),
        "W": _int_slider(ipw, "entrada W", W, 1, max_size),
        "h": _int_slider(ipw, "kernel h", h, 1, max(6, h)),
        "w": _int_slider(ipw, "kernel w", w, 1, max(6, w)),
        "padding": _int_slider(ipw, "padding p", padding, 0, max(3, padding)),
        "stride": _int_slider(ipw, "stride s", stride, 1, max(4, stride)),
        "dilation": _int_slider(ipw, "dilatación d", dilation, 1, max(3, dilation)),
        "paso": _int_slider(ipw, "posición t", 0, 0, 0),
    }
    panel = ipw.Image(format="png")
    label = ipw.HTML()
    fig = _PngFigure((8, 3.8), ncols=2)

    def read_state():
        v = {k: s.value for k, s in sliders.items()}
        g = A.Geometry((v["H"], v["W"]), (v["h"], v["w"]), v["padding"], v["stride"], v["dilation"])
        return SimpleNamespace(geometry=g, step=0), g.n_steps

    def draw(state):
        g = state.geometry
        if g.ok:
            png, _ = fig.render(g, lambda: A._ArithmeticScene(g), state.step)
            _show(panel, png)
            label.value = _pre(g.formula_es(), _where_es(g, state.step), g.message_es)
        else:
            _show(panel, None)
            label.value = _pre(g.formula_es(), g.message_es)

    current, painter, _ = _step_explorer(ipw, sliders, read_state, draw, panel, label)
    names = list(sliders)
    controls = ipw.HBox(
        [ipw.VBox([sliders[k] for k in names[:4]]), ipw.VBox([sliders[k] for k in names[4:]])]
    )
    root = ipw.VBox([controls, panel, label])
    ui = _ExplorerUI(current, root, sliders, None, label, {"figure": panel}, painter.request)
    ui.painter = painter
    return ui


def pool_arithmetic_explorer(x=None, kernel_size: int = 2, stride=None, mode="max", seed=0):
    """Pooling step by step on a small input whose values are written in the cells.

    Sliders set the window (kernel_size), the stride and the step, a dropdown the
    operation (máx, media, mín); the drawing
    (:func:`cnncourse.arithmetic.draw_pool_step`) highlights the window and the value
    it yields, and the label writes it out (``máx(1, 3, 2, 9) = 9``) under the
    formula. ``x`` defaults to a 6 x 6 array of random integers 0-9 (``seed``).
    """
    import ipywidgets as ipw

    if x is None:
        x = np.random.default_rng(seed).integers(0, 10, size=(6, 6))
    x = np.array(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(
            f"pool_arithmetic_explorer: argument 'x' must be 2D (H, W), got shape {x.shape}; "
            f"pass one channel, e.g. x[0]"
        )
    H, W = x.shape
    biggest = max(1, min(4, H, W))
    sliders = {
        "kernel_size": _int_slider(ipw, "ventana", kernel_size, 1, biggest),
        "stride": _int_slider(ipw, "stride s", kernel_size if stride is None else stride, 1, 4),
        "paso": _int_slider(ipw, "posición t", 0, 0, 0),
    }
    dropdown = ipw.Dropdown(
        options=[("máx", "max"), ("media", "avg"), ("mín", "min")],
        value=mode,
        description="operación",
        style={"description_width": "110px"},
    )
    panel = ipw.Image(format="png")
    label = ipw.HTML()
    fig = _PngFigure((8, 3.8), ncols=2)

    def read_state():
        k, s = sliders["kernel_size"].value, sliders["stride"].value
        g = A.Geometry((H, W), k, 0, s)
        return SimpleNamespace(geometry=g, mode=dropdown.value, step=0), g.n_steps

    def draw(state):
        g = state.geometry
        if not g.ok:
            _show(panel, None)
            label.value = _pre(g.formula_es(), g.message_es)
            return
        k, s = g.kernel_size, g.stride
        png, result = fig.render(
            (g, state.mode), lambda: A._PoolScene(x, k, s, 0, state.mode), state.step
        )
        _show(panel, png)
        label.value = _pre(result.text, g.formula_es(), g.message_es)

    current, painter, on_change = _step_explorer(ipw, sliders, read_state, draw, panel, label)
    dropdown.observe(on_change, names="value")
    root = ipw.VBox([ipw.HBox([ipw.VBox(list(sliders.values())), dropdown]), panel, label])
    ui = _ExplorerUI(current, root, sliders, dropdown, label, {"figure": panel}, painter.request)
    ui.painter = painter
    return ui


def sweep_explorer(x, u, padding=0, stride=1):
    """One slider moves the window over a small numeric example: window, products, sum.

    ``x`` (W,), (H, W) or (C, H, W) and ``u`` (w,), (h, w) or (C, h, w), as in
    :func:`cnncourse.arithmetic.conv_step`. The drawing writes the numbers in the
    cells (padded input with the window, the kernel, the outputs computed so far) and
    the label the arithmetic of the current position, e.g.
    ``o[0, 1] = 2·1 + 3·0 + 5·0 + 6·(−1) = −4``, and the output-size formula.
    """
    import ipywidgets as ipw

    scene = A._ConvScene(x, u, padding, stride, func="sweep_explorer")  # validates
    g = scene.g
    Wp = scene.Wp + (1.25 if scene.C > 1 else 0)  # room for the channel labels
    Wo, kw = g.output_shape[-1], g.kernel_size[-1]
    cell = 0.42  # inches per grid cell
    figsize = (cell * (Wp + kw + Wo) + 1.2, cell * scene.height + 0.7)
    fig = _PngFigure(figsize, ncols=3, width_ratios=[Wp, max(kw, 1.5), max(Wo, 1.5)])
    sliders = {"paso": _int_slider(ipw, "posición t", 0, 0, max(g.n_steps - 1, 0))}
    panel = ipw.Image(format="png")
    label = ipw.HTML()

    def read_state():
        return SimpleNamespace(geometry=g, step=0, result=None), g.n_steps

    def draw(state):
        png, state.result = fig.render(None, lambda: scene, state.step)
        _show(panel, png)
        label.value = _pre(state.result.text, g.formula_es(simple=True))

    current, painter, _ = _step_explorer(ipw, sliders, read_state, draw, panel, label)
    root = ipw.VBox([sliders["paso"], panel, label])
    ui = _ExplorerUI(current, root, sliders, None, label, {"figure": panel}, painter.request)
    ui.painter = painter
    return ui
