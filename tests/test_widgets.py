"""The explorers: pure models driven directly, widgets driven headless (also from threads)."""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest

import cnncourse
from cnncourse import data
from cnncourse.arithmetic import Geometry
from cnncourse.plotting import array_to_png
from cnncourse.widgets import (
    KernelExplorerModel,
    SignalExplorerModel,
    _LatestOnly,
    conv_arithmetic_explorer,
    kernel_explorer,
    pool_arithmetic_explorer,
    signal_explorer,
    sweep_explorer,
)

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def photo():
    return data.load_sample_image(gray=True)


def test_kernel_model_default_is_identity():
    img = np.arange(30.0).reshape(5, 6)
    m = KernelExplorerModel(img)
    assert m.output_shape == (3, 4)
    np.testing.assert_array_equal(m.output, img[1:-1, 1:-1])


def test_kernel_model_set_weight_recomputes():
    img = np.arange(25.0).reshape(5, 5)
    m = KernelExplorerModel(img)
    m.set_weight(1, 1, 2.0)
    np.testing.assert_allclose(m.output, 2 * img[1:-1, 1:-1])
    m.set_weight(0, 0, 1.0)
    np.testing.assert_allclose(m.output, 2 * img[1:-1, 1:-1] + img[:-2, :-2])


def test_kernel_model_presets_match_conv2d(photo):
    m = KernelExplorerModel(photo)
    for name, kernel in data.kernels_2d().items():
        m.set_preset(name)
        assert m.preset_name == name
        np.testing.assert_allclose(m.output, cnncourse.conv2d(photo, kernel))
        assert m.output.shape == (598, 510)
    assert "(598, 510)" in m.describe()


def test_kernel_model_is_cross_correlation_not_convolution():
    img = np.zeros((5, 5))
    img[2, 2] = 1.0
    m = KernelExplorerModel(img)
    m.set_kernel([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    # an impulse through a cross-correlation gives the kernel flipped
    np.testing.assert_array_equal(m.output, np.arange(9, 0, -1.0).reshape(3, 3))


def test_kernel_model_converts_colour_and_keeps_input(photo):
    rgb = data.load_sample_image()
    m = KernelExplorerModel(rgb)
    assert m.image.shape == photo.shape
    with pytest.raises(ValueError):
        m.image[0, 0] = 1.0  # read-only copy
    with pytest.raises(ValueError, match="kernel_explorer"):
        KernelExplorerModel(np.zeros(5))
    with pytest.raises(IndexError, match="outside"):
        m.set_weight(3, 0, 1.0)
    with pytest.raises(KeyError, match="unknown preset"):
        m.set_preset("nope")
    with pytest.raises(ValueError, match="keep shape"):
        m.set_kernel(np.ones((2, 2)))


def test_kernel_explorer_widget_drives_model(photo):
    ui = kernel_explorer(photo)
    assert ui.sliders.shape == (3, 3)
    assert set(data.kernels_2d()) <= set(ui.dropdown.options)
    ui.dropdown.value = "Sobel x"
    np.testing.assert_array_equal(ui.model.kernel, data.kernels_2d()["Sobel x"])
    assert [s.value for s in ui.sliders[0]] == [-1.0, 0.0, 1.0]
    before = ui.panels["output"].value
    ui.sliders[1, 1].value = 3.0  # a slider move updates kernel, output panel and label
    assert ui.model.kernel[1, 1] == 3.0
    assert ui.dropdown.value == "personalizado"
    assert ui.panels["output"].value != before
    assert ui.panels["output"].value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "(598, 510)" in ui.label.value
    bundle = ui._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_kernel_explorer_feels_immediate_on_512x512():
    img = np.random.default_rng(0).integers(0, 256, size=(512, 512)).astype(np.uint8)
    ui = kernel_explorer(img)
    ui.sliders[0, 0].value = 0.5  # warm-up
    t0 = time.perf_counter()
    for k in range(5):
        ui.sliders[1, 1].value = 1.0 + k
    per_update = (time.perf_counter() - t0) / 5
    assert per_update < 0.25, f"one slider update took {per_update * 1e3:.0f} ms"


def test_signal_model_lecture_example():
    m = SignalExplorerModel(data.voltage_signal(), kernel=[-1, 1])
    assert m.output.tolist() == [0, 0, 0, 1, 1, 1, 0]
    assert m.output_shape == (7,)
    m.set_weight(0, 1.0)
    np.testing.assert_array_equal(m.output, [0, 0, 0, 1, 3, 5, 6])
    with pytest.raises(ValueError, match="1D"):
        SignalExplorerModel(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="longer"):
        m.set_kernel(np.ones(9))


def test_signal_explorer_widget_drives_model():
    signal, rising = data.switch_signal(seed=3)
    ui = signal_explorer(signal)
    ui.dropdown.value = "incremento (0, -1, 1)"
    np.testing.assert_array_equal(ui.model.kernel, [0.0, -1.0, 1.0])
    edges = np.flatnonzero(ui.model.output > 0.5)
    np.testing.assert_array_equal(edges, rising - 1)  # padded kernel shifts by one
    before = ui.panels["plot"].value
    ui.sliders[0].value = 1.0
    assert ui.model.kernel[0] == 1.0 and ui.panels["plot"].value != before
    assert "(398,)" in ui.label.value


# ----------------------------------------------------------------------------
# kernel explorers: presets, exact weights, scale, kernel panel, threads
# ----------------------------------------------------------------------------
def _rgb(png: bytes) -> np.ndarray:
    from PIL import Image

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _line_pixels(png: bytes) -> tuple[int, int]:
    """Pixels of the input line (tab:blue) and output line (tab:orange) in the 1D plot."""
    rgb = _rgb(png)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    blue = (r < 80) & (g > 80) & (g < 160) & (b > 150)
    orange = (r > 200) & (g > 90) & (g < 170) & (b < 90)
    return int(blue.sum()), int(orange.sum())


def _plot_is_complete(png: bytes) -> bool:
    """Both lines drawn (a drawing that overlapped another came out blank or half-drawn)."""
    blue, orange = _line_pixels(png)
    return blue > 1000 and orange > 100


def _browser_echo(slider) -> float:
    """The value a browser slider sends back: the nearest step counted from its min."""
    return slider.min + round((slider.value - slider.min) / slider.step) * slider.step


def _signal():
    return data.switch_signal(seed=3)[0]


def test_kernel_models_name_the_preset_they_hold():
    m = KernelExplorerModel(np.arange(25.0).reshape(5, 5))
    assert m.preset_name == "identidad"  # the default kernel is a preset
    m.set_weight(1, 1, 2.0)
    assert m.preset_name is None
    m.set_weight(1, 1, 1.0)  # back to the identity's weights
    assert m.preset_name == "identidad"
    m.set_kernel(data.kernels_2d()["Sobel y"])
    assert m.preset_name == "Sobel y"
    s = SignalExplorerModel(_signal(), kernel=[0, -1, 1])
    assert s.preset_name == "incremento (0, -1, 1)"
    assert SignalExplorerModel(_signal(), kernel=[-1, 1]).preset_name is None


@pytest.mark.parametrize("explorer", ["2d", "1d"])
def test_preset_menu_shows_the_active_preset_from_the_start(photo, explorer):
    if explorer == "2d":
        build, x, sobel = kernel_explorer, photo, data.kernels_2d()["Sobel x"]
        custom, name = np.arange(9.0).reshape(3, 3) / 10, "Sobel x"
    else:
        build, x, sobel = signal_explorer, _signal(), [0.0, -1.0, 1.0]
        custom, name = [0.2, 0.5, 0.3], "incremento (0, -1, 1)"
    assert build(x).dropdown.value == "identidad"
    assert build(x, kernel=sobel).dropdown.value == name
    ui = build(x, kernel=custom)
    assert ui.dropdown.value == "personalizado" and ui.model.preset_name is None
    ui.dropdown.value = "personalizado"  # no kernel: nothing changes
    np.testing.assert_array_equal(ui.model.kernel, custom)


@pytest.mark.parametrize(
    "explorer, name, weight, shown",
    [("2d", "desenfoque", 1 / 9, 0.11), ("1d", "media móvil", 1 / 3, 0.33)],
)
def test_presets_keep_their_exact_weights_until_a_manual_change(
    photo, explorer, name, weight, shown
):
    if explorer == "2d":
        ui, x, conv = kernel_explorer(photo), photo, cnncourse.conv2d
    else:
        ui, x, conv = signal_explorer(_signal()), _signal(), cnncourse.conv1d
    ui.dropdown.value = name
    exact = np.full(ui.sliders.shape, weight)
    assert all(s.value == shown for s in ui.sliders.flat)  # what a 0.01 slider can hold
    for s in ui.sliders.flat:  # the browser sends the rounded values back
        s.value = _browser_echo(s)
        s.value = shown + 1e-12  # or with float noise: still no change
    assert ui.dropdown.value == name and ui.model.preset_name == name
    np.testing.assert_array_equal(ui.model.kernel, exact)
    np.testing.assert_allclose(ui.model.output, conv(x, exact), rtol=0, atol=1e-9)
    assert not np.allclose(ui.model.output, conv(x, np.full_like(exact, shown)), atol=1e-3)
    np.testing.assert_array_equal(ui.view.shown.kernel, exact)  # what is drawn
    first = (0,) * ui.sliders.ndim
    ui.sliders[first].value = 0.5  # a real move by the student
    assert ui.dropdown.value == "personalizado" and ui.model.preset_name is None
    expected = exact.copy()
    expected[first] = 0.5  # the other weights stay exact
    np.testing.assert_array_equal(ui.model.kernel, expected)
    ui.dropdown.value = name
    np.testing.assert_array_equal(ui.model.kernel, exact)
    assert ui.sliders[first].value == shown


def test_signal_explorer_menu_follows_the_sliders_back_to_a_preset():
    ui = signal_explorer(_signal(), kernel=[0.5, 0.5, 0.5])
    assert ui.dropdown.value == "personalizado"
    for i, v in enumerate([1.0, -2.0, 1.0]):
        ui.sliders[i].value = v
    assert ui.dropdown.value == "segunda derivada"


def test_kernel_panel_writes_the_weights_over_a_grid(photo):
    ui = kernel_explorer(photo)  # identity: eight zeros, white in a blue-white-red map
    ax = ui.figures["kernel"].axes[0]
    assert [t.get_text() for t in ax.texts] == ["0", "0", "0", "0", "1", "0", "0", "0", "0"]
    assert list(ax.xaxis.get_minorticklocs()) == [-0.5, 0.5, 1.5, 2.5]
    assert all(t.gridline.get_visible() for t in ax.xaxis.get_minor_ticks())
    rgb = _rgb(ui.panels["kernel"].value)
    h, w, _ = rgb.shape
    corner = rgb[h // 10 : h // 3, w // 10 : w // 3]  # inside the top-left zero cell
    assert np.any(corner.max(axis=-1) < 120), "the zero cell shows its '0'"
    ui.dropdown.value = "Sobel x"
    assert [t.get_text() for t in ax.texts] == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    ui.dropdown.value = "desenfoque"
    assert {t.get_text() for t in ax.texts} == {"0.11"}


def test_kernel_explorer_fixed_scale_shows_magnitudes(photo):
    ui = kernel_explorer(photo)
    assert ui.scale.description == "escala fija" and ui.scale.value is False
    identity = ui.panels["output"].value
    ui.sliders[1, 1].value = 5.0  # the identity times 5
    o = ui.model.output
    assert (ui.view.shown.vmin, ui.view.shown.vmax) == (o.min(), o.max())
    assert ui.panels["output"].value == identity  # own scale: the same picture
    assert f"[{o.min():.4g}, {o.max():.4g}]" in ui.label.value  # but the read-out tells
    assert "escala propia" in ui.label.value
    ui.scale.value = True
    assert (ui.view.shown.vmin, ui.view.shown.vmax) == (0.0, 255.0)
    assert "escala fija [0, 255]" in ui.label.value
    fixed = ui.panels["output"].value
    assert fixed != identity
    assert fixed == array_to_png(o, vmin=0, vmax=255)  # saturated where o > 255
    ui.sliders[1, 1].value = 1.0
    assert ui.panels["output"].value == identity  # identity on the input's scale
    other = kernel_explorer(photo, fixed_scale=True, fixed_range=(-100, 100))
    assert (other.view.shown.vmin, other.view.shown.vmax) == (-100.0, 100.0)


def test_signal_explorer_fixed_scale_keeps_the_y_axis():
    ui = signal_explorer(_signal())
    ax_in, ax_out = ui.figures["plot"].axes
    ui.sliders[1].value = 3.0
    own = ui.view.shown.ylim
    assert own[1] > 3 * 0.9 * ui.model.signal.max() and ax_out.get_ylim() == own
    o = ui.model.output
    assert f"[{o.min():.4g}, {o.max():.4g}]" in ui.label.value
    ui.scale.value = True
    assert ui.view.shown.ylim == ax_in.get_ylim() == ax_out.get_ylim() != own
    assert "escala fija" in ui.label.value
    ui.scale.value = False
    assert ui.view.shown.ylim == own


def test_kernel_sliders_are_wide_and_adjustable(photo):
    # ipywidgets' CSS: track = width - description - readout (72 px) - margins (~30 px)
    for ui in (kernel_explorer(photo), signal_explorer(_signal())):
        for s in ui.sliders.flat:
            track = int(s.layout.width[:-2]) - int(s.style.description_width[:-2]) - 102
            assert track >= 250, s.layout.width
    ui = signal_explorer(_signal(), limit=10, step=0.5, slider_width=500)
    s = ui.sliders[0]
    assert (s.min, s.max, s.step, s.readout_format, s.layout.width) == (
        -10,
        10,
        0.5,
        ".1f",
        "500px",
    )
    ui.dropdown.value = "media móvil"  # 1/3 shows as 0.5 and stays 1/3
    assert s.value == 0.5
    np.testing.assert_array_equal(ui.model.kernel, np.full(3, 1 / 3))


@pytest.mark.parametrize("explorer", ["2d", "1d"])
def test_kernel_explorers_coalesce_a_burst_while_drawing(explorer):
    """20 slider changes while another thread draws: one more drawing, of the last state."""
    img = np.random.default_rng(1).integers(0, 256, size=(40, 50)).astype(np.uint8)
    ui = kernel_explorer(img) if explorer == "2d" else signal_explorer(_signal())
    first, last = (0,) * ui.sliders.ndim, (-1,) * ui.sliders.ndim
    draw, gate, started = ui.view._draw, threading.Event(), threading.Event()

    def gated(state):  # a slow drawing, holding the snapshot it took
        started.set()
        assert gate.wait(10)
        draw(state)

    ui.view._draw = gated
    other = threading.Thread(target=lambda: setattr(ui.sliders[last], "value", 2.0))
    other.start()
    assert started.wait(10)
    draws = ui.painter.draws
    for k in range(20):
        ui.sliders[first].value = 0.1 * (k + 1)  # returns at once: the other thread draws
    assert ui.painter.draws == draws
    ui.view._draw = draw
    gate.set()
    other.join(10)
    assert ui.painter.draws == draws + 2  # the stale drawing, then one for the burst
    final = ui.model.kernel
    assert final[first] == 2.0 and final[last] == 2.0
    np.testing.assert_array_equal(ui.view.shown.kernel, final)
    if explorer == "2d":
        assert ui.panels["output"].value == array_to_png(ui.model.output)
        np.testing.assert_allclose(ui.model.output, cnncourse.conv2d(img, final), atol=1e-9)
    else:
        line = ui.figures["plot"].axes[1].lines[0]
        np.testing.assert_allclose(line.get_ydata(), cnncourse.conv1d(_signal(), final))


@pytest.mark.parametrize("explorer", ["2d", "1d"])
def test_kernel_explorers_survive_callbacks_from_two_threads(explorer):
    """Main thread and subshell move sliders and presets: never a blank or stale image."""
    if explorer == "2d":
        x = np.random.default_rng(2).integers(0, 256, size=(60, 70)).astype(np.uint8)
        ui, presets = kernel_explorer(x), ["desenfoque", "Sobel x", "enfoque", "identidad"]
        panel = ui.panels["output"]
    else:
        x = _signal()
        ui, presets = signal_explorer(x), ["media móvil", "segunda derivada", "identidad"]
        panel = ui.panels["plot"]
    pngs, errors = [], []
    panel.observe(lambda change: pngs.append(change["new"]), names="value")
    first, last = (0,) * ui.sliders.ndim, (-1,) * ui.sliders.ndim
    values = np.round(np.linspace(-2, 2, 30), 2).tolist()

    def run(actions):
        try:
            for act in actions:
                act()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def set_value(widget, v):
        return lambda: setattr(widget, "value", v)

    jobs = [
        [set_value(ui.sliders[first], v) for v in values],
        [set_value(ui.sliders[last], v) for v in values[::-1]],
        [set_value(ui.dropdown, p) for p in presets * 3],
        [set_value(ui.scale, bool(k % 2)) for k in range(9)],
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(pngs) > 10
    final = ui.model.kernel
    shown = ui.view.shown
    np.testing.assert_array_equal(shown.kernel, final)
    assert shown.fixed is False  # the checkbox's last value
    for idx in np.ndindex(*ui.sliders.shape):  # the sliders show the model's weights
        assert abs(ui.sliders[idx].value - final[idx]) <= 0.005
    assert ui.dropdown.value == (ui.model.preset_name or "personalizado")
    if explorer == "2d":
        np.testing.assert_allclose(ui.model.output, cnncourse.conv2d(x, final), atol=1e-9)
        assert panel.value == array_to_png(ui.model.output)
        assert all(_rgb(png).shape[:2] == (58, 68) for png in pngs)
    else:
        line = ui.figures["plot"].axes[1].lines[0]
        np.testing.assert_allclose(line.get_ydata(), cnncourse.conv1d(x, final), atol=1e-9)
        fresh = signal_explorer(x, kernel=final)
        assert _line_pixels(panel.value) == _line_pixels(fresh.panels["plot"].value)
        broken = [i for i, png in enumerate(pngs) if not _plot_is_complete(png)]
        assert not broken, f"blank or half-drawn plots among the {len(pngs)} drawn: {broken}"


# ----------------------------------------------------------------------------
# window explorers: conv_arithmetic_explorer, pool_arithmetic_explorer, sweep_explorer
# ----------------------------------------------------------------------------
def _values(ui):
    return {name: s.value for name, s in ui.sliders.items()}


def test_conv_arithmetic_explorer_responds_to_sliders():
    ui = conv_arithmetic_explorer()  # 5 x 5, kernel 3, padding 1, stride 2
    assert set(ui.sliders) == {"H", "W", "h", "w", "padding", "stride", "dilation", "paso"}
    assert ui.model.state.geometry == Geometry(5, 3, 1, 2)
    assert ui.sliders["paso"].max == 8
    assert "⌊(5 + 2·1 − 3)/2⌋ + 1 = 3" in ui.label.value
    first = ui.panels["figure"].value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    ui.sliders["paso"].value = 4
    assert ui.model.state.step == 4 and ui.panels["figure"].value != first
    assert "Posición t = 4 (de 0 a 8)" in ui.label.value and "produce o[1, 1]" in ui.label.value
    ui.sliders["w"].value = 2  # non-square kernel: only the columns' formula changes
    assert "Wo = ⌊(W + 2p − w)/s⌋ + 1 = ⌊(5 + 2·1 − 2)/2⌋ + 1 = 3" in ui.label.value
    assert "no es exacto" in ui.label.value
    ui.sliders["dilation"].value = 2
    assert "d·(h − 1)" in ui.label.value


def test_conv_arithmetic_explorer_clamps_the_step_when_the_geometry_shrinks():
    ui = conv_arithmetic_explorer(padding=1, stride=1)
    assert ui.sliders["paso"].max == 24
    ui.sliders["paso"].value = 20
    draws = ui.painter.draws
    ui.sliders["stride"].value = 2  # 25 -> 9 positions
    assert ui.sliders["paso"].max == 8 and ui.sliders["paso"].value == 8
    assert ui.model.state.step == 8
    assert ui.painter.draws == draws + 1, "the step clamp must not cause a second drawing"
    assert "Posición t = 8 (de 0 a 8)" in ui.label.value


def test_conv_arithmetic_explorer_explains_a_window_that_does_not_fit():
    ui = conv_arithmetic_explorer(in_size=3, kernel_size=3, padding=0, stride=1)
    ui.sliders["h"].value = 5
    assert ui.panels["figure"].layout.display == "none"
    assert "no cabe" in ui.label.value and "aumenta el padding" in ui.label.value
    assert ui.sliders["paso"].disabled and ui.sliders["paso"].max == 0
    ui.sliders["padding"].value = 1  # fits again: the drawing comes back
    assert ui.panels["figure"].layout.display is None
    assert "La ventana cabe" in ui.label.value


def test_pool_arithmetic_explorer_shows_the_value_of_each_window():
    x = np.array([[1.0, 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]])
    ui = pool_arithmetic_explorer(x)
    assert "o[0, 0] = máx(1, 3, 2, 9) = 9" in ui.label.value
    ui.dropdown.value = "avg"
    ui.sliders["paso"].value = 1
    assert "o[0, 1] = media(5, 6, 7, 8) = (5 + 6 + 7 + 8)/4 = 6.5" in ui.label.value
    ui.dropdown.value = "min"
    assert "o[0, 1] = mín(5, 6, 7, 8) = 5" in ui.label.value
    ui.sliders["paso"].value = 3
    ui.sliders["kernel_size"].value = 3  # 4x4 with window 3, stride 2: one position
    assert ui.sliders["paso"].max == 0 and ui.model.state.step == 0
    default = pool_arithmetic_explorer()  # 6 x 6 random integers
    assert default.sliders["paso"].max == 8
    with pytest.raises(ValueError, match="pool_arithmetic_explorer: argument 'x' must be 2D"):
        pool_arithmetic_explorer(np.ones((2, 4, 4)))


@pytest.mark.parametrize(
    "x, u, kwargs, text",
    [
        ([[2, 3, 1], [5, 6, 0]], [[1, 0], [0, -1]], {}, "o[0, 1] = 3·1 + 1·0 + 6·0 + 0·(−1) = 3"),
        ([0, 0, 0, 0, 1, 2, 3, 3], [-1, 1], {}, "o[1] = 0·(−1) + 0·1 = 0"),
        (np.ones((3, 3, 3)), np.ones((3, 2, 2)), {"padding": 1}, "o[0, 1] = 2 + 2 + 2 = 6"),
    ],
)
def test_sweep_explorer_shows_window_products_and_sum(x, u, kwargs, text):
    ui = sweep_explorer(x, u, **kwargs)
    n = np.prod(ui.model.state.geometry.output_shape)
    assert ui.sliders["paso"].max == n - 1
    before = ui.panels["figure"].value
    ui.sliders["paso"].value = 1
    assert text in ui.label.value
    assert ui.model.state.result.text.split("\n")[-1] == text
    assert ui.panels["figure"].value != before
    if kwargs.get("padding", 0) or kwargs.get("stride", 1) != 1:
        assert "Wo = ⌊(W + 2p − w)/s⌋ + 1" in ui.label.value
    else:  # notebooks 01-03 have no padding or stride yet: the lecture's W - w + 1
        assert "Wo = W − w + 1 = " in ui.label.value


def test_latest_only_never_draws_twice_at_once_and_ends_with_the_latest_state():
    state = {"version": 0, "drawn": None, "active": 0, "max_active": 0}
    lock = threading.Lock()

    def draw():
        with lock:
            state["active"] += 1
            state["max_active"] = max(state["max_active"], state["active"])
            version = state["version"]
        time.sleep(0.002)
        with lock:
            state["drawn"] = version
            state["active"] -= 1

    painter = _LatestOnly(draw)

    def worker():
        for _ in range(50):
            with lock:
                state["version"] += 1
            painter.request()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["max_active"] == 1
    assert state["drawn"] == state["version"] == 200
    assert painter.draws < 200, "piled-up requests should collapse into fewer drawings"


def test_explorers_survive_slider_updates_from_two_threads():
    """Two threads (main + subshell in a real kernel) move sliders; the last state is drawn."""
    ui = conv_arithmetic_explorer()
    errors = []

    def move(name, values):
        try:
            for v in values:
                ui.sliders[name].value = v
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=move, args=("paso", [0, 3, 8, 5, 2, 7, 1, 6] * 4)),
        threading.Thread(target=move, args=("stride", [1, 2, 3, 1, 2] * 4 + [1])),
        threading.Thread(target=move, args=("W", [4, 6, 7, 5] * 5 + [6])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    v = _values(ui)
    g = ui.model.state.geometry
    assert g == Geometry((v["H"], v["W"]), (v["h"], v["w"]), v["padding"], v["stride"])
    assert ui.model.state.step == v["paso"] <= g.n_steps - 1
    # the panel shows exactly what a fresh explorer with the final values draws
    fresh = conv_arithmetic_explorer((v["H"], v["W"]), (v["h"], v["w"]), v["padding"], v["stride"])
    fresh.sliders["paso"].value = v["paso"]
    assert ui.panels["figure"].value == fresh.panels["figure"].value
    assert ui.label.value == fresh.label.value


@pytest.mark.parametrize("build", ["conv", "pool", "sweep"])
def test_window_explorers_feel_immediate(build):
    if build == "conv":
        ui = conv_arithmetic_explorer(in_size=10, kernel_size=3, padding=3, stride=1)
    elif build == "pool":
        ui = pool_arithmetic_explorer(np.arange(64).reshape(8, 8) % 10, stride=1)
    else:
        ui = sweep_explorer(np.arange(27).reshape(3, 3, 3) % 5, np.ones((3, 2, 2)), padding=1)
    step = ui.sliders["paso"]
    times = []
    for _ in range(8):
        t0 = time.perf_counter()
        step.value = (step.value + 1) % (step.max + 1)
        times.append(time.perf_counter() - t0)
    median = float(np.median(times))
    assert median < 0.25, f"one redraw took {median * 1e3:.0f} ms"


def test_widgets_doctests():
    """The Examples in cnncourse.widgets (models, slider rounding) are correct (doctest)."""
    import doctest

    from cnncourse import widgets

    result = doctest.testmod(
        widgets, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0 and result.attempted >= 8
