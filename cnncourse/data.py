"""Small, local data for the course notebooks: a real photo, 1D signals, line images.

Everything here is either shipped with a package (matplotlib's ``grace_hopper.jpg``)
or generated from a fixed seed, so every notebook runs offline and gives the same
numbers on every machine. Shapes follow the library: (W,) for signals, (H, W) for
grayscale images, (C, H, W) for colour images.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "load_sample_image",
    "to_grayscale",
    "voltage_signal",
    "switch_signal",
    "line_images",
    "vertical_line_targets",
    "line_scenes",
    "window_matrix",
    "kernels_2d",
    "kernels_1d",
]


def load_sample_image(gray: bool = False, channels_first: bool = True) -> np.ndarray:
    """Load matplotlib's sample photo of Grace Hopper as a ``uint8`` array in [0, 255].

    Parameters
    ----------
    gray : bool
        If True return one (H, W) matrix (luma, ITU-R BT.601 weights), else three
        colour channels.
    channels_first : bool
        For colour images: (3, H, W) when True (the library's order, the lecture's
        C x W x H), (H, W, 3) when False (what ``plt.imshow`` expects).

    Returns
    -------
    numpy.ndarray of dtype uint8, shape (600, 512), (3, 600, 512) or (600, 512, 3).

    Examples
    --------
    >>> img = load_sample_image(gray=True)
    >>> img.shape, img.dtype
    ((600, 512), dtype('uint8'))
    """
    import matplotlib.cbook as cbook
    import matplotlib.image as mimage

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    rgb = np.asarray(mimage.imread(path))
    if rgb.dtype != np.uint8:  # some readers return floats in [0, 1]
        rgb = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    rgb = rgb[..., :3]
    if gray:
        return to_grayscale(rgb)
    rgb = np.ascontiguousarray(rgb)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)) if channels_first else rgb


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """Convert an (H, W, 3) or (3, H, W) uint8 colour image to an (H, W) uint8 matrix.

    Examples
    --------
    >>> red = np.zeros((3, 1, 1), np.uint8)
    >>> red[0] = 255
    >>> to_grayscale(red)  # the luma of pure red: 0.299 * 255
    array([[76]], dtype=uint8)
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or 3 not in (rgb.shape[0], rgb.shape[-1]):
        raise ValueError(
            f"to_grayscale: expected an image of shape (H, W, 3) or (3, H, W), got {rgb.shape}"
        )
    weights = np.array([0.299, 0.587, 0.114])
    hwc = rgb if rgb.shape[-1] == 3 else np.moveaxis(rgb, 0, -1)
    gray = np.ascontiguousarray(hwc, dtype=np.float64) @ weights
    return np.clip(np.round(gray), 0, 255).astype(np.uint8)


def voltage_signal() -> np.ndarray:
    """The lecture's voltage example (C2): ``(0, 0, 0, 0, 1, 2, 3, 3)`` as float64.

    Examples
    --------
    >>> voltage_signal()
    array([0., 0., 0., 0., 1., 2., 3., 3.])
    """
    return np.array([0, 0, 0, 0, 1, 2, 3, 3], dtype=np.float64)


def switch_signal(
    n: int = 400, n_pulses: int = 5, level: float = 1.0, noise: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy voltage log of a switch turning on and off: a "real" 1D signal.

    The voltage sits at 0, jumps by ``level`` volts when the switch turns on and drops
    back when it turns off; a small Gaussian noise of standard deviation ``noise`` is
    added. Pulses never touch each other (at least 10 samples apart).

    Returns
    -------
    signal : (n,) float64
    rising : (n_pulses,) int64, sorted
        The indices ``i`` where the voltage jumps up between sample ``i`` and ``i + 1``,
        i.e. where ``(signal ⊛ (-1, 1))[i]`` is about ``level``.

    Examples
    --------
    >>> signal, rising = switch_signal()
    >>> signal.shape, rising
    ((400,), array([ 22,  94, 170, 244, 327]))
    >>> np.diff(signal)[rising].round(1)  # the jumps: about level=1.0 volt
    array([1. , 1.1, 0.9, 1.1, 1. ])
    """
    if n < 20 * n_pulses:
        raise ValueError(f"switch_signal: n={n} is too short for n_pulses={n_pulses}")
    rng = np.random.default_rng(seed)
    slot = n // n_pulses
    clean = np.zeros(n)
    rising = []
    for k in range(n_pulses):
        start = k * slot + int(rng.integers(3, slot // 3))
        length = int(rng.integers(5, slot // 2))
        clean[start + 1 : start + 1 + length] = level
        rising.append(start)
    signal = clean + noise * rng.standard_normal(n)
    return signal, np.array(rising, dtype=np.int64)


def line_images(n: int = 64, size: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Small images with one straight line each, normalised to [-1, 1] (C7).

    Half the images (at random) hold a vertical line, the others a horizontal one; the
    line is one pixel thick, crosses the whole image and sits at a random position.
    Background pixels are -1 and line pixels +1: a [0, 255] image mapped to [-1, 1]
    with ``x / 127.5 - 1``.

    Returns
    -------
    images : (n, size, size) float64 in [-1, 1]
    is_vertical : (n,) bool

    Examples
    --------
    >>> images, is_vertical = line_images(n=4, size=5)
    >>> images.shape, is_vertical
    ((4, 5, 5), array([False,  True,  True,  True]))
    >>> images[1]
    array([[-1., -1., -1.,  1., -1.],
           [-1., -1., -1.,  1., -1.],
           [-1., -1., -1.,  1., -1.],
           [-1., -1., -1.,  1., -1.],
           [-1., -1., -1.,  1., -1.]])
    """
    rng = np.random.default_rng(seed)
    images = np.full((n, size, size), -1.0)
    is_vertical = rng.random(n) < 0.5
    pos = rng.integers(1, size - 1, size=n)
    for k in range(n):
        if is_vertical[k]:
            images[k, :, pos[k]] = 1.0
        else:
            images[k, pos[k], :] = 1.0
    return images, is_vertical


def vertical_line_targets(images: np.ndarray, kernel_size: int = 3) -> np.ndarray:
    """What a vertical-line detector should answer for each window of ``images``.

    For an (N, H, W) stack of line images, returns (N, H-k+1, W-k+1) with +1 where the
    centre pixel of the k x k window lies on a vertical line and -1 elsewhere
    (background and horizontal lines alike).

    Examples
    --------
    The 3x3 windows of the vertical line in :func:`line_images`'s example:

    >>> images, _ = line_images(n=4, size=5)
    >>> vertical_line_targets(images[1])
    array([[-1., -1.,  1.],
           [-1., -1.,  1.],
           [-1., -1.,  1.]])
    """
    images = np.asarray(images, dtype=np.float64)
    k = kernel_size
    c = k // 2
    H, W = images.shape[-2:]
    centre = images[..., c : H - k + 1 + c, c : W - k + 1 + c]
    # a pixel is on a vertical line when its neighbours above and below are on too
    up = images[..., c - 1 : H - k + c, c : W - k + 1 + c]
    down = images[..., c + 1 : H - k + 2 + c, c : W - k + 1 + c]
    on_vertical = (centre > 0) & (up > 0) & (down > 0)
    return np.where(on_vertical, 1.0, -1.0)


# The kinds of scene line_scenes draws, and how often
_SCENE_KINDS = (
    ("línea vertical", 0.40),
    ("línea horizontal", 0.25),
    ("barra vertical", 0.18),
    ("barra horizontal", 0.17),
)


def line_scenes(
    n: int = 64, size: int = 12, noise: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scenes for learning a vertical-line detector whose optimum is unique (C7).

    Each ``size x size`` image has a background of a random grey level in [-0.5, 0.5]
    and one shape, 1 brighter or 1 darker than its background: a thin vertical or horizontal
    segment (6 pixels long or more, at a random place), or a wide vertical or horizontal
    bar (3 to 5 pixels wide, across the image); then Gaussian noise of standard deviation
    ``noise`` (a camera's) is added everywhere. The target of each 3 x 3 window is +1
    when its centre pixel lies on a thin bright *vertical* segment, -1 on a dark one and
    0 otherwise (what the vertical-line kernel [-1, 2, -1] per row answers, in sign).

    Why these and not clean lines on a uniform background: with lines that cross the
    whole image on one background level, every window is the sum of a row pattern and a
    column pattern, so the windows only fix the kernel's 3 row sums and 3 column sums
    (rank 5 of 9) and infinitely many kernels share the minimum loss. Here the random
    backgrounds, the segments' ends, the wide bars (bright, but not lines) and the noise
    make the windows' matrix full rank (9): the least-squares kernel is unique, gradient
    descent reaches it from any start, and it is a line detector: a bright centre column
    with negative sides, as the bars demand.

    Returns
    -------
    images : (n, size, size) float64
    targets : (n, size - 2, size - 2) float64: 1.0, -1.0 or 0.0
    kinds : (n,) str, one of "línea vertical", "línea horizontal", "barra vertical",
        "barra horizontal"

    Examples
    --------
    >>> images, targets, kinds = line_scenes(n=8, size=10, seed=0)
    >>> images.shape, targets.shape
    ((8, 10, 10), (8, 8, 8))
    >>> int(np.linalg.matrix_rank(window_matrix(images)))
    9
    """
    if size < 8:
        raise ValueError(f"line_scenes: size={size} is too small; use size >= 8")
    rng = np.random.default_rng(seed)
    names = [k for k, _ in _SCENE_KINDS]
    probs = np.array([p for _, p in _SCENE_KINDS])
    images = np.empty((n, size, size))
    targets = np.zeros((n, size - 2, size - 2))
    kinds = rng.choice(names, size=n, p=probs / probs.sum())
    for k in range(n):
        bg = rng.uniform(-0.5, 0.5)
        img = np.full((size, size), bg)
        length = rng.integers(6, size + 1)
        start = rng.integers(0, size - length + 1)
        pos = rng.integers(1, size - 1)
        sign = rng.choice((-1.0, 1.0))  # a bright or a dark shape
        level = bg + sign
        if kinds[k] == "línea vertical":
            img[start : start + length, pos] = level
            rows = np.arange(max(start, 1), min(start + length, size - 1))
            targets[k, rows - 1, pos - 1] = sign
        elif kinds[k] == "línea horizontal":
            img[pos, start : start + length] = level
        else:
            width = rng.integers(3, 6)
            first = rng.integers(0, size - width + 1)
            if kinds[k] == "barra vertical":
                img[:, first : first + width] = level
            else:
                img[first : first + width, :] = level
        images[k] = img + noise * rng.normal(size=img.shape)
    return images, targets, kinds


def window_matrix(images: np.ndarray, kernel_size: int = 3) -> np.ndarray:
    """Every k x k window of an (N, H, W) stack as a row: shape (N*(H-k+1)*(W-k+1), k*k).

    ``window_matrix(x) @ u.ravel()`` is ``x ⊛ u`` for every image, flattened: the linear
    system behind learning a kernel by least squares (its rank says whether the best
    kernel is unique).

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 4, 4)
    >>> window_matrix(x)[0]
    array([ 0.,  1.,  2.,  4.,  5.,  6.,  8.,  9., 10.])
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 2:
        images = images[None]
    k = int(kernel_size)
    windows = np.lib.stride_tricks.sliding_window_view(images, (k, k), axis=(1, 2))
    return windows.reshape(-1, k * k)


_KERNELS_2D = {
    "identidad": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "bordes verticales": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "bordes horizontales": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "Sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "Sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "desenfoque": [[1 / 9] * 3] * 3,
    "enfoque": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "Laplaciano": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}

_KERNELS_1D = {
    "identidad": [0.0, 1.0, 0.0],
    "incremento (0, -1, 1)": [0.0, -1.0, 1.0],
    "media móvil": [1 / 3, 1 / 3, 1 / 3],
    "segunda derivada": [1.0, -2.0, 1.0],
}


def kernels_2d() -> dict[str, np.ndarray]:
    """Hand-designed 3x3 kernels (fresh float64 copies), keyed by their Spanish name.

    identidad, bordes verticales/horizontales (Prewitt), Sobel x/y, desenfoque (box
    blur), enfoque (sharpen) and Laplaciano. Kernels are applied as cross-correlations.

    Examples
    --------
    >>> kernels_2d()["Sobel x"]
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    return {name: np.array(k, dtype=np.float64) for name, k in _KERNELS_2D.items()}


def kernels_1d() -> dict[str, np.ndarray]:
    """Hand-designed length-3 kernels for signals (fresh float64 copies).

    ``incremento (0, -1, 1)`` is the lecture's increment detector (-1, 1) padded with a leading
    zero so that every preset has the same length.

    Examples
    --------
    >>> kernels_1d()["incremento (0, -1, 1)"]
    array([ 0., -1.,  1.])
    """
    return {name: np.array(k, dtype=np.float64) for name, k in _KERNELS_1D.items()}
