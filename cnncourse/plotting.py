"""Plotting helpers shared by the notebooks (matplotlib, imported lazily).

Each function draws into a new figure (or into ``axes`` you pass) and returns the
figure, so a notebook cell shows it and a test can inspect it without a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "show_images",
    "show_kernel",
    "show_kernels",
    "plot_signals",
    "plot_speedups",
    "plot_losses",
    "array_to_png",
]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _as_items(images, titles):
    if isinstance(images, Mapping):
        return list(images.values()), list(images.keys())
    images = list(images)
    if titles is None:
        titles = [""] * len(images)
    titles = list(titles)
    if len(titles) != len(images):
        raise ValueError(
            f"show_images: got {len(images)} images but {len(titles)} titles; "
            "pass one title per image"
        )
    return images, titles


def show_images(
    images: Sequence[np.ndarray] | Mapping[str, np.ndarray],
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
    ncols: int | None = None,
    size: float = 3.2,
    colorbar: bool = False,
    show_shape: bool = True,
    vmin: float | None = None,
    vmax: float | None = None,
):
    """Show images side by side, each with its title (and its shape).

    ``images`` is a list of arrays or a dict {title: array}. A 2D array is drawn with
    ``cmap`` scaled to its own min/max, or to ``vmin``/``vmax`` when given (one shared
    scale, so that panels can be compared); an (H, W, 3) array or a (3, H, W) uint8
    array is drawn in colour.

    Returns the matplotlib Figure.
    """
    plt = _pyplot()
    images, titles = _as_items(images, titles)
    n = len(images)
    if n == 0:
        raise ValueError("show_images: nothing to show; pass at least one image")
    ncols = n if ncols is None else max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, img, title in zip(axes.flat, images, titles, strict=False):
        img = np.asarray(img)
        shape = tuple(img.shape)  # as the caller holds it: (3, H, W) stays channels-first
        if img.ndim == 3 and img.shape[0] == 3 and img.shape[-1] != 3:
            img = img.transpose(1, 2, 0)
        if img.ndim == 3:
            im = ax.imshow(img)
        else:
            im = ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
        label = title
        if show_shape:
            label = f"{title}\n{shape}" if title else str(shape)
        ax.set_title(label, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        if colorbar and img.ndim == 2:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def show_kernel(u: np.ndarray, title: str = "", ax=None, annotate: bool = True, cmap="bwr"):
    """Draw a small 2D kernel as coloured cells with its values written inside.

    The colour scale is symmetric around 0 (blue negative, red positive).
    """
    plt = _pyplot()
    u = np.asarray(u, dtype=np.float64)
    if u.ndim == 1:
        u = u[None, :]
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.6 * u.shape[1] + 1, 0.6 * u.shape[0] + 0.8))
    else:
        fig = ax.figure
    lim = float(np.max(np.abs(u))) or 1.0
    ax.imshow(u, cmap=cmap, vmin=-lim, vmax=lim)
    if annotate and u.size <= 64:
        for (r, c), val in np.ndenumerate(u):
            ax.text(c, r, f"{val:.2g}", ha="center", va="center", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    return fig


def show_kernels(kernels: Sequence[np.ndarray], titles: Sequence[str] | None = None, size=1.8):
    """Several kernels side by side (for example snapshots of a kernel being learned)."""
    plt = _pyplot()
    kernels, titles = _as_items(kernels, titles)
    fig, axes = plt.subplots(1, len(kernels), figsize=(size * len(kernels), size + 0.4))
    axes = np.atleast_1d(axes)
    for ax, u, title in zip(axes, kernels, titles, strict=True):
        show_kernel(u, title=title, ax=ax)
    fig.tight_layout()
    return fig


def plot_signals(
    signals: Mapping[str, np.ndarray],
    markers: Mapping[str, Sequence[int]] | None = None,
    title: str = "",
    stem: bool | None = None,
):
    """Plot 1D signals one above the other, sharing the x axis (sample index).

    ``markers`` maps a label to sample indices to highlight with vertical lines (for
    example detected rising edges). Short signals (<= 40 samples) are drawn as stems
    so every value is visible, unless ``stem`` says otherwise.
    """
    plt = _pyplot()
    n = len(signals)
    if n == 0:
        raise ValueError("plot_signals: nothing to plot; pass at least one signal")
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * n + 0.4), sharex=True, squeeze=False)
    for ax, (label, s) in zip(axes[:, 0], signals.items(), strict=True):
        s = np.asarray(s, dtype=np.float64)
        if stem if stem is not None else s.size <= 40:
            ax.stem(np.arange(s.size), s)
        else:
            ax.plot(np.arange(s.size), s, lw=1)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        for mlabel, idx in (markers or {}).items():
            for k, i in enumerate(np.asarray(idx).ravel()):
                ax.axvline(i, color="tab:red", ls="--", lw=0.8, label=mlabel if k == 0 else None)
    if markers:
        axes[0, 0].legend(loc="upper right", fontsize=8)
    axes[-1, 0].set_xlabel("índice de la muestra")
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    return fig


def plot_speedups(times: Mapping[str, float], baseline: str | None = None, title: str = ""):
    """Bar chart of the speedup of each implementation over ``baseline`` (log scale).

    ``times`` maps a name to a time in seconds; ``baseline`` defaults to the slowest.
    Each bar is labelled with its speedup ("× 1 234").
    """
    plt = _pyplot()
    if not times:
        raise ValueError("plot_speedups: times is empty; pass {name: seconds}")
    names = list(times)
    secs = np.array([float(times[k]) for k in names])
    if np.any(secs <= 0):
        raise ValueError(f"plot_speedups: every time must be > 0, got {dict(times)}")
    base = secs.max() if baseline is None else float(times[baseline])
    speedup = base / secs
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    bars = ax.bar(
        names, speedup, color=["tab:gray", "tab:blue", "tab:green", "tab:orange"][: len(names)]
    )
    ax.set_yscale("log")
    ax.set_ylabel("aceleración (veces)")
    for bar, sp in zip(bars, speedup, strict=True):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            sp,
            f"× {sp:,.0f}".replace(",", " ") if sp >= 10 else f"× {sp:.1f}",
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax.set_ylim(0.5, speedup.max() * 4)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_losses(losses: Sequence[float], title: str = "", ylabel: str = "pérdida (MSE)"):
    """The loss curve of a training run, one value per iteration (log y axis)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(np.arange(len(losses)), np.asarray(losses, dtype=np.float64))
    ax.set_yscale("log")
    ax.set_xlabel("iteración")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def array_to_png(
    a: np.ndarray,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    scale: int = 1,
) -> bytes:
    """Encode a 2D array as PNG bytes (colour-mapped), without creating a figure.

    Fast enough for live widgets: a 512 x 512 grayscale array encodes in about 20 ms
    (Pillow, low compression). Values are scaled from [vmin, vmax] (default: the
    array's min and max). ``scale`` repeats every pixel ``scale`` times along both axes
    (nearest neighbour), to show a 3 x 3 kernel as a visible picture. NaN and inf are
    drawn as 0.
    """
    import io

    import matplotlib
    from PIL import Image

    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"array_to_png: expected a 2D array, got shape {a.shape}")
    a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    if scale > 1:
        a = np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)
    lo = float(a.min()) if vmin is None else float(vmin)
    hi = float(a.max()) if vmax is None else float(vmax)
    if hi <= lo:
        hi = lo + 1.0
    unit = np.clip((a - lo) / (hi - lo), 0.0, 1.0)
    if cmap == "gray":
        img = Image.fromarray(np.round(unit * 255).astype(np.uint8), mode="L")
    else:
        rgba = matplotlib.colormaps[cmap](unit, bytes=True)
        img = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), mode="RGB")
    buf = io.BytesIO()
    img.save(buf, format="png", compress_level=1)
    return buf.getvalue()
