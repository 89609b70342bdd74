"""The explorers: pure models driven directly, widgets driven headless (also from threads)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import cnncourse
from cnncourse import data
from cnncourse.arithmetic import Geometry
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
    assert ui.dropdown.value is None
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
    assert "Paso 5 de 9" in ui.label.value and "produce o[1, 1]" in ui.label.value
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
    assert "Paso 9 de 9" in ui.label.value


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
