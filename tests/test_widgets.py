"""The kernel and signal explorers: pure models driven directly, widgets driven headless."""

from __future__ import annotations

import time

import numpy as np
import pytest

import cnncourse
from cnncourse import data
from cnncourse.widgets import (
    KernelExplorerModel,
    SignalExplorerModel,
    kernel_explorer,
    signal_explorer,
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
    ui.dropdown.value = "incremento (-1, 1)"
    np.testing.assert_array_equal(ui.model.kernel, [0.0, -1.0, 1.0])
    edges = np.flatnonzero(ui.model.output > 0.5)
    np.testing.assert_array_equal(edges, rising - 1)  # padded kernel shifts by one
    before = ui.panels["plot"].value
    ui.sliders[0].value = 1.0
    assert ui.model.kernel[0] == 1.0 and ui.panels["plot"].value != before
    assert "(398,)" in ui.label.value
