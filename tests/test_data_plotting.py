"""cnncourse.data (local, deterministic data) and cnncourse.plotting (figures, PNG bytes)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import cnncourse  # noqa: E402
from cnncourse import data, plotting  # noqa: E402


def test_load_sample_image_shapes_and_range():
    rgb = data.load_sample_image()
    assert rgb.shape == (3, 600, 512) and rgb.dtype == np.uint8
    hwc = data.load_sample_image(channels_first=False)
    np.testing.assert_array_equal(hwc.transpose(2, 0, 1), rgb)
    gray = data.load_sample_image(gray=True)
    assert gray.shape == (600, 512) and gray.dtype == np.uint8
    assert gray.min() >= 0 and gray.max() <= 255 and gray.max() > 200
    np.testing.assert_array_equal(data.to_grayscale(rgb), gray)
    with pytest.raises(ValueError, match="to_grayscale"):
        data.to_grayscale(np.zeros((4, 4)))


def test_voltage_signal_is_the_lecture_example():
    x = data.voltage_signal()
    assert x.tolist() == [0, 0, 0, 0, 1, 2, 3, 3]
    assert cnncourse.conv1d(x, np.array([-1.0, 1.0])).tolist() == [0, 0, 0, 1, 1, 1, 0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_switch_signal_rising_edges_are_found_by_the_difference_kernel(seed):
    x, rising = data.switch_signal(seed=seed)
    assert x.shape == (400,) and rising.dtype == np.int64
    found = np.flatnonzero(cnncourse.conv1d(x, np.array([-1.0, 1.0])) > 0.5)
    np.testing.assert_array_equal(found, rising)
    again, _ = data.switch_signal(seed=seed)
    np.testing.assert_array_equal(x, again)  # deterministic
    with pytest.raises(ValueError, match="too short"):
        data.switch_signal(n=50, n_pulses=5)


def test_line_images_and_targets():
    images, vertical = data.line_images(n=20, size=10, seed=0)
    assert images.shape == (20, 10, 10)
    assert set(np.unique(images)) == {-1.0, 1.0}
    assert vertical.any() and (~vertical).any()
    t = data.vertical_line_targets(images)
    assert t.shape == (20, 8, 8) and set(np.unique(t)) <= {-1.0, 1.0}
    assert (t[~vertical] == -1).all()  # horizontal lines are not vertical lines
    assert (t[vertical] == 1).sum(axis=(1, 2)).min() == 8  # a full column of hits


def test_named_kernels_are_fresh_copies():
    k = data.kernels_2d()
    assert {"identidad", "bordes verticales", "Sobel x", "desenfoque", "enfoque"} <= set(k)
    assert all(v.shape == (3, 3) for v in k.values())
    np.testing.assert_allclose(k["desenfoque"].sum(), 1.0)
    k["identidad"][1, 1] = 99
    assert data.kernels_2d()["identidad"][1, 1] == 1
    assert all(v.shape == (3,) for v in data.kernels_1d().values())


def test_plotting_functions_return_figures():
    import matplotlib.pyplot as plt

    img = data.load_sample_image(gray=True)[:50, :60]
    fig = plotting.show_images({"a": img, "b": img.T}, colorbar=True)
    assert len(fig.axes) >= 2 and "(50, 60)" in fig.axes[0].get_title()
    fig2 = plotting.show_images([data.load_sample_image()[:, :20, :30]], ["rgb"])
    assert fig2.axes[0].images[0].get_array().shape == (20, 30, 3)
    assert plotting.show_kernel(np.eye(3), "k").axes
    assert len(plotting.show_kernels([np.eye(3), -np.eye(3)], ["a", "b"]).axes) == 2
    fig3 = plotting.plot_signals({"x": np.arange(10.0), "y": np.arange(100.0)}, markers={"m": [2]})
    assert len(fig3.axes) == 2
    fig4 = plotting.plot_speedups({"python": 1.0, "numba": 0.001}, baseline="python")
    labels = [t.get_text() for t in fig4.axes[0].texts]
    assert "× 1 000" in labels
    assert plotting.plot_losses([1.0, 0.5, 0.25]).axes
    plt.close("all")
    with pytest.raises(ValueError, match="titles"):
        plotting.show_images([img], ["a", "b"])
    with pytest.raises(ValueError, match="> 0"):
        plotting.plot_speedups({"a": 0.0})


def test_array_to_png():
    png = plotting.array_to_png(np.arange(12.0).reshape(3, 4))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from io import BytesIO

    from PIL import Image

    im = Image.open(BytesIO(plotting.array_to_png(np.eye(3), cmap="bwr", scale=10)))
    assert im.size == (30, 30) and im.mode == "RGB"
    flat = Image.open(BytesIO(plotting.array_to_png(np.full((2, 2), np.nan))))
    assert flat.size == (2, 2)
    with pytest.raises(ValueError, match="2D"):
        plotting.array_to_png(np.zeros(3))


def test_line_scenes_fix_a_unique_line_detector():
    """Issue 18.1: the windows' matrix has full rank, so the least-squares kernel is unique,
    gradient descent reaches it from zero and from a random start, and it detects lines:
    a bright centre column with negative sides (the old clean lines gave rank 5 of 9)."""
    images, targets, kinds = data.line_scenes(n=64, size=12, seed=0)
    windows = data.window_matrix(images)
    assert windows.shape == (64 * 10 * 10, 9)
    assert np.linalg.matrix_rank(windows) == 9
    old, _ = data.line_images(n=64, size=12, seed=0)
    assert np.linalg.matrix_rank(data.window_matrix(old)) == 5  # why the data changed
    best = np.linalg.lstsq(windows, targets.ravel(), rcond=None)[0].reshape(3, 3)
    assert np.all(best[:, 1] > 0.05) and np.all(best[:, [0, 2]] < -0.02), best
    assert set(kinds) == {
        "línea vertical",
        "línea horizontal",
        "barra vertical",
        "barra horizontal",
    }

    def grad(u):
        err = windows @ u.ravel() - targets.ravel()
        return (2 * windows.T @ err / err.size).reshape(3, 3)

    for start in (np.zeros((3, 3)), np.random.default_rng(1).normal(size=(3, 3))):
        u = start
        for _ in range(150):
            u = u - 0.25 * grad(u)
        np.testing.assert_allclose(u, best, atol=2e-3)
    # on the photo it responds like a vertical-line detector ([-1, 2, -1] in every row),
    # not like its transpose (horizontal lines); the old optimum (a column sum) did not
    photo = data.load_sample_image(gray=True) / 127.5 - 1.0
    reference = np.array([[-1.0, 2.0, -1.0]] * 3)

    def corr(kernel, other):
        a, b = cnncourse.conv2d(photo, kernel), cnncourse.conv2d(photo, other)
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    assert corr(best, reference) > 0.5
    assert corr(best, reference) > 3 * abs(corr(best, reference.T))
    old_best = np.linalg.lstsq(
        data.window_matrix(old), data.vertical_line_targets(old).ravel(), rcond=None
    )[0].reshape(3, 3)
    assert corr(old_best, reference) < 0.3


def test_line_scenes_reject_tiny_images():
    with pytest.raises(ValueError, match="size"):
        data.line_scenes(size=5)
