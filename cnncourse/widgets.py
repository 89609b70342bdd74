"""Interactive explorers for the notebooks: move kernel weights, see the output live.

``kernel_explorer(image)`` (2D) and ``signal_explorer(signal)`` (1D) build ipywidgets
user interfaces. All the logic lives in two plain classes, :class:`KernelExplorerModel`
and :class:`SignalExplorerModel`, which tests (and curious students) can drive without
a browser: set a weight or a preset, read ``output``.

``conv_arithmetic_explorer()``, ``pool_arithmetic_explorer()`` and
``sweep_explorer(x, u)`` move a window position by position (Dumoulin & Visin's
convolution arithmetic, and the numeric sweeps of notebooks 01-03); their arithmetic
and drawing are the pure functions of :mod:`cnncourse.arithmetic`.

Slider callbacks may arrive on two threads at once (the kernel's main thread and
ipykernel's subshell thread). The window explorers therefore read their sliders under
a lock and redraw through :class:`_LatestOnly`: one drawing at a time per figure,
and updates that pile up while it draws collapse into one redraw of the latest state.

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


class _KernelModel:
    """What both explorers share: the current kernel, presets and a cached output.

    Subclasses set ``presets``, ``_kernel`` and implement ``_check(kernel)`` and
    ``_compute()``.
    """

    _output = None
    preset_name = None

    @property
    def kernel(self) -> np.ndarray:
        """A copy of the current kernel."""
        return self._kernel.copy()

    def _changed(self) -> None:
        self._output = None
        self.preset_name = None

    def set_kernel(self, kernel) -> None:
        """Replace the whole kernel (same rules as the constructor's)."""
        kernel = np.array(kernel, dtype=np.float64)
        self._check(kernel)
        self._kernel = kernel
        self._changed()

    def set_preset(self, name: str) -> None:
        """Load a preset kernel by name (see ``presets``)."""
        if name not in self.presets:
            raise KeyError(
                f"set_preset: unknown preset {name!r}; choose one of {list(self.presets)}"
            )
        self.set_kernel(self.presets[name])
        self.preset_name = name

    @property
    def output(self) -> np.ndarray:
        """The convolution of the input with the kernel (cached until the kernel changes)."""
        if self._output is None:
            self._output = self._compute()
        return self._output


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
    >>> m.output_shape
    (3, 3)
    >>> m.set_weight(1, 1, 2.0)
    >>> float(m.output[0, 0])
    12.0
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
        self.presets = {
            k: np.array(v, dtype=np.float64)
            for k, v in (kernels_2d() if presets is None else presets).items()
        }
        if kernel is None:
            kernel = self.presets.get("identidad", np.eye(3)[1][:, None] * np.eye(3)[1])
        self.padding = padding
        self._kernel = np.array(kernel, dtype=np.float64)
        if self._kernel.ndim != 2:
            raise ValueError(f"kernel_explorer: kernel must be 2D, got shape {self._kernel.shape}")
        self._output = None
        self.preset_name = None

    def _check(self, kernel) -> None:
        if kernel.shape != self._kernel.shape:
            raise ValueError(
                f"set_kernel: kernel must keep shape {self._kernel.shape}, got {kernel.shape}"
            )

    def _compute(self) -> np.ndarray:
        return F.conv2d(self.image, self._kernel, padding=self.padding)

    def set_weight(self, row: int, col: int, value: float) -> None:
        """Set one kernel weight u[row, col] (the sliders call this)."""
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
        o = self.output
        return (
            f"x {self.image.shape} ⊛ u {self._kernel.shape} → o {o.shape}  "
            f"(valores en [{o.min():.3g}, {o.max():.3g}])"
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
        self.presets = {
            k: np.array(v, dtype=np.float64)
            for k, v in (kernels_1d() if presets is None else presets).items()
        }
        if kernel is None:
            kernel = self.presets.get("identidad", np.array([0.0, 1.0, 0.0]))
        self._kernel = np.array(kernel, dtype=np.float64)
        if self._kernel.ndim != 1:
            raise ValueError(f"signal_explorer: kernel must be 1D, got shape {self._kernel.shape}")
        self._output = None
        self.preset_name = None

    def _check(self, kernel) -> None:
        if kernel.ndim != 1 or kernel.size > self.signal.size:
            raise ValueError(
                f"set_kernel: kernel must be 1D and not longer than the signal "
                f"({self.signal.size}), got shape {kernel.shape}"
            )

    def _compute(self) -> np.ndarray:
        return F.conv1d(self.signal, self._kernel)

    def set_weight(self, index: int, value: float) -> None:
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
        return f"x {self.signal.shape} ⊛ u {self._kernel.shape} → o {self.output.shape}"


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


def _slider_grid(ipw, shape, values, on_change, limit):
    sliders = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        s = ipw.FloatSlider(
            value=float(values[idx]),
            min=-limit,
            max=limit,
            step=0.01,
            description=f"u{list(idx)}",
            continuous_update=True,
            readout_format=".2f",
            layout=ipw.Layout(width="230px"),
            style={"description_width": "48px"},
        )
        s.observe(lambda change, idx=idx: on_change(idx, change["new"]), names="value")
        sliders[idx] = s
    return sliders


def kernel_explorer(image, kernel=None, presets=None, limit: float = 5.0, display_size: int = 320):
    """An interactive 3 x 3 kernel explorer for a grayscale image (one line in a notebook).

    A grid of sliders sets the kernel weights u[n, m], a dropdown loads a preset
    (identidad, bordes, Sobel, desenfoque, enfoque, ...), and three live panels show the
    input x, the kernel u and the output o = x ⊛ u, with the shapes written below.

    Returns an object that Jupyter displays as the widget; its ``model`` attribute is
    the :class:`KernelExplorerModel` driving it.
    """
    import ipywidgets as ipw

    from .plotting import array_to_png

    model = KernelExplorerModel(image, kernel=kernel, presets=presets)
    state = {"batch": False}
    h, w = model.kernel.shape
    panel_layout = ipw.Layout(width=f"{display_size}px", height="auto")
    in_panel = ipw.Image(
        value=array_to_png(model.image, vmin=0, vmax=255), format="png", layout=panel_layout
    )
    k_panel = ipw.Image(format="png", layout=ipw.Layout(width="120px", height="120px"))
    out_panel = ipw.Image(format="png", layout=panel_layout)
    label = ipw.HTML()

    def render():
        k = model.kernel
        lim = float(np.max(np.abs(k))) or 1.0
        k_panel.value = array_to_png(k, cmap="bwr", vmin=-lim, vmax=lim, scale=40)
        out_panel.value = array_to_png(model.output)
        label.value = f"<code>{model.describe()}</code>"

    def on_slider(idx, value):
        model.set_weight(idx[0], idx[1], value)
        if not state["batch"]:
            dropdown.value = None
            render()

    sliders = _slider_grid(ipw, (h, w), model.kernel, on_slider, limit)
    dropdown = ipw.Dropdown(options=list(model.presets), value=None, description="predefinido")

    def on_preset(change):
        if change["new"] is None:
            return
        state["batch"] = True
        try:
            for idx in np.ndindex(h, w):
                sliders[idx].value = float(
                    np.clip(model.presets[change["new"]][idx], -limit, limit)
                )
            model.set_preset(change["new"])
        finally:
            state["batch"] = False
        render()

    dropdown.observe(on_preset, names="value")
    grid = ipw.VBox([ipw.HBox(list(sliders[r])) for r in range(h)])
    titles = ipw.HBox(
        [
            ipw.VBox([ipw.HTML("<b>entrada x</b>"), in_panel]),
            ipw.VBox([ipw.HTML("<b>kernel u</b>"), k_panel]),
            ipw.VBox([ipw.HTML("<b>salida o = x ⊛ u</b>"), out_panel]),
        ]
    )
    root = ipw.VBox([dropdown, grid, titles, label])
    render()
    return _ExplorerUI(
        model,
        root,
        sliders,
        dropdown,
        label,
        {"input": in_panel, "kernel": k_panel, "output": out_panel},
        render,
    )


def signal_explorer(signal, kernel=None, presets=None, limit: float = 3.0):
    """The 1D counterpart of :func:`kernel_explorer`: sliders for a length-3 kernel
    (or the length of ``kernel``), presets (identidad, incremento (0, -1, 1), media móvil,
    segunda derivada) and live plots of the signal x and the output o = x ⊛ u.
    """
    import io

    import ipywidgets as ipw
    from matplotlib.figure import Figure

    model = SignalExplorerModel(signal, kernel=kernel, presets=presets)
    state = {"batch": False}
    fig = Figure(figsize=(8, 3.6))
    ax_in, ax_out = fig.subplots(2, 1, sharex=True)
    ax_in.plot(np.arange(model.signal.size), model.signal, lw=1)
    ax_in.set_ylabel("x")
    (line_out,) = ax_out.plot(np.arange(model.output.size), model.output, color="tab:orange", lw=1)
    ax_out.set_ylabel("o = x ⊛ u")
    ax_out.set_xlabel("índice de la muestra")
    for ax in (ax_in, ax_out):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    panel = ipw.Image(format="png")
    label = ipw.HTML()

    def render():
        o = model.output
        line_out.set_data(np.arange(o.size), o)  # update the existing line, no re-plot
        ax_out.relim()
        ax_out.autoscale_view()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        panel.value = buf.getvalue()
        label.value = f"<code>{model.describe()}</code>"

    def on_slider(idx, value):
        model.set_weight(idx[0], value)
        if not state["batch"]:
            dropdown.value = None
            render()

    sliders = _slider_grid(ipw, model.kernel.shape, model.kernel, on_slider, limit)
    dropdown = ipw.Dropdown(options=list(model.presets), value=None, description="predefinido")

    def on_preset(change):
        if change["new"] is None:
            return
        new = model.presets[change["new"]]
        if new.shape != model.kernel.shape:
            return
        state["batch"] = True
        try:
            for i in range(new.size):
                sliders[i].value = float(np.clip(new[i], -limit, limit))
            model.set_preset(change["new"])
        finally:
            state["batch"] = False
        render()

    dropdown.observe(on_preset, names="value")
    root = ipw.VBox([dropdown, ipw.HBox(list(sliders)), panel, label])
    render()
    return _ExplorerUI(model, root, sliders, dropdown, label, {"plot": panel}, render)


# ----------------------------------------------------------------------------
# window explorers (cnncourse.arithmetic)
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


class _PngFigure:
    """A matplotlib Figure (no pyplot) rendered to PNG bytes with Agg and Pillow.

    :meth:`render` draws a two-layer scene of :mod:`cnncourse.arithmetic`: the
    static layer (grids and numbers, the costly part) only when ``key`` changes, kept
    as a bitmap; on every call, the dynamic layer (window, output cells) is drawn
    over a copy of that bitmap (matplotlib's blitting).
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
        f"Paso {step + 1} de {g.n_steps}: la ventana empieza en {at} de la entrada "
        f"con padding y produce {out}."
    )


def _step_explorer(ipw, sliders, read_state, draw, panel, label):
    """Wire ``sliders`` (dict, with a 'paso' slider) to a lock-guarded, coalesced redraw.

    ``read_state()`` builds the state from the slider values (under the lock) and
    returns (state, n_steps); the 'paso' slider's max follows n_steps, clamping its
    value. ``draw(state)`` renders it (called by one thread at a time).
    """
    lock = threading.RLock()
    current = SimpleNamespace(state=None, updating=False)
    step = sliders["paso"]

    def sync() -> bool:
        with lock:
            if current.updating:  # our own clamp of the step slider: already handled
                return False
            current.updating = True
            try:
                state, n_steps = read_state()
                step.max = max(n_steps - 1, 0)  # clamps step.value
                step.disabled = n_steps == 0
                state.step = min(step.value, step.max)
                current.state = state
            finally:
                current.updating = False
            return True

    def redraw():
        with lock:
            state = current.state
        draw(state)

    painter = _LatestOnly(redraw)

    def on_change(_change=None):
        if sync():
            painter.request()

    for s in sliders.values():
        s.observe(on_change, names="value")
    on_change()
    return current, painter, on_change


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
        "paso": _int_slider(ipw, "paso", 0, 0, 0),
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
        "paso": _int_slider(ipw, "paso", 0, 0, 0),
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
    sliders = {"paso": _int_slider(ipw, "posición", 0, 0, max(g.n_steps - 1, 0))}
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
