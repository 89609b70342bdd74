"""Interactive explorers for the notebooks: move kernel weights, see the output live.

``kernel_explorer(image)`` (2D) and ``signal_explorer(signal)`` (1D) build ipywidgets
user interfaces. All the logic lives in two plain classes, :class:`KernelExplorerModel`
and :class:`SignalExplorerModel`, which tests (and curious students) can drive without
a browser: set a weight or a preset, read ``output``.

ipywidgets and matplotlib are imported lazily, inside the functions that need them, so
``import cnncourse`` stays light. The panels are ``ipywidgets.Image`` widgets whose
PNG bytes are replaced on every change (no figure is re-created), which keeps a
512 x 512 image responsive without the ipympl backend.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .data import kernels_1d, kernels_2d, to_grayscale

__all__ = [
    "KernelExplorerModel",
    "SignalExplorerModel",
    "kernel_explorer",
    "signal_explorer",
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
    dropdown = ipw.Dropdown(options=list(model.presets), value=None, description="preset")

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
    (or the length of ``kernel``), presets (identidad, incremento (-1, 1), media móvil,
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
    dropdown = ipw.Dropdown(options=list(model.presets), value=None, description="preset")

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
