"""Real data sets of handwritten digits: scikit-learn's digits (offline) and MNIST (online).

* :func:`load_digits` — the 1,797 8x8 digits that ship inside scikit-learn (no network),
  upsampled to 32x32 for LeNet-5, with a stratified, seeded train/test split.
* :func:`load_mnist` — the 70,000 28x28 MNIST digits, downloaded once from a public
  mirror into a cache folder, checked against the SHA-256 sums of the official files and
  read with :func:`read_idx`. Offline users copy the four files into the folder by hand.
* :func:`read_idx` / :func:`write_idx` — the IDX format of MNIST (raw or gzip).

Images come as float32 batches (N, 1, H, W) with values in [0, 1] (0 = background,
1 = full ink); labels as int64 (N,) in 0..9: the shapes and dtypes that
:func:`cnncourse.training.train` and the models of :mod:`cnncourse.architectures` take.

What is checked and what is not: a downloaded or cached MNIST file is used only when its
SHA-256 matches the official one, so a truncated download or a different file is never
read silently. :func:`read_idx` on its own checks the header against the file's length but
cannot know whether the values are right.
"""

from __future__ import annotations

import gzip
import hashlib
import numbers
import os
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

__all__ = [
    "load_digits",
    "load_mnist",
    "read_idx",
    "write_idx",
    "MNIST_URL",
    "MNIST_FILES",
    "DEFAULT_MNIST_ROOT",
]

# --------------------------------------------------------------------------- digits

DIGITS_SIDE = 8  # scikit-learn's digits are 8x8 blocks of counts 0..16
DIGITS_MAX = 16.0
NUM_CLASSES = 10


def _check_int(value, func: str, arg: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{func}: argument '{arg}' must be an int >= {minimum}, got {value!r}")
    return int(value)


def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix of linear interpolation weights between pixel centres.

    Output pixel ``i`` samples the input at ``(i + 0.5) * n_in / n_out - 0.5`` (pixel
    centres aligned, edges clamped), as ``scipy.ndimage.zoom(..., grid_mode=True)`` and
    PyTorch's ``interpolate(mode="bilinear", align_corners=False)`` do.
    """
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    left = np.floor(pos).astype(int)
    right = np.minimum(left + 1, n_in - 1)
    frac = pos - left
    weights = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(weights, (rows, left), 1 - frac)
    np.add.at(weights, (rows, right), frac)
    return weights


def upsample_bilinear(images: np.ndarray, size: int) -> np.ndarray:
    """Resize a stack of square images (N, h, h) to (N, size, size) by bilinear interpolation."""
    images = np.asarray(images, dtype=np.float64)
    weights = _bilinear_matrix(images.shape[-1], size)
    # out[n] = W @ img[n] @ W.T: interpolate the rows, then the columns
    return np.einsum("ij,njk,lk->nil", weights, images, weights)


def stratified_split(
    labels: np.ndarray, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test), each sorted, with ``round(test_size * n_c)`` test samples of
    every class ``c``; the choice within a class is drawn from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_size * members.size))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits(
    test_size: float = 0.2, seed: int = 0, size: int = 32
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits as (N, 1, size, size) float32 in [0, 1], split in two.

    The data set ships inside scikit-learn, so it loads offline. It is the *test* split of
    UCI's "optdigits" (whose 43 writers were split 30 for training, 13 for testing): 1,797
    images written by 13 people. A random split of it therefore puts the same writers'
    hands in both parts, and the test accuracy is optimistic for digits written by new
    people. Each image is an 8x8 grid of ink counts 0..16 (a 32x32 bitmap
    counted in 4x4 blocks); it is divided by 16 to land in [0, 1] (0 = background) and
    upsampled to ``size x size`` by bilinear interpolation, so that LeNet-5 (1x32x32 input)
    takes it as is. The split is stratified (every class keeps its share in both parts) and
    depends only on ``seed``.

    Parameters
    ----------
    test_size : float in (0, 1), default 0.2
        Share of every class held out for testing (359 of 1,797 images at 0.2).
    seed : int, default 0
        Seed of the split.
    size : int >= 8, default 32
        Side of the returned images; 8 returns the original grids.

    Returns
    -------
    X_train : (N_train, 1, size, size) float32 in [0, 1]
    y_train : (N_train,) int64 in 0..9
    X_test : (N_test, 1, size, size) float32 in [0, 1]
    y_test : (N_test,) int64 in 0..9

    Examples
    --------
    >>> X_train, y_train, X_test, y_test = load_digits()
    >>> X_train.shape, X_train.dtype, y_test.shape, y_test.dtype
    ((1438, 1, 32, 32), dtype('float32'), (359,), dtype('int64'))
    """
    func = "load_digits"
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{func}: argument 'test_size' must be a float, got {test_size!r}")
    if not 0 < test_size < 1:
        raise ValueError(
            f"{func}: argument 'test_size' must be in (0, 1), got {test_size}; "
            f"e.g. 0.2 holds out a fifth of every class"
        )
    seed = _check_int(seed, func, "seed", 0)
    size = _check_int(size, func, "size", DIGITS_SIDE)
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError(
            f"{func}: needs scikit-learn, which ships the data set; "
            f"install it with `pip install scikit-learn`"
        ) from exc
    bunch = sklearn_digits()
    images = bunch.images / DIGITS_MAX
    if size != DIGITS_SIDE:
        images = upsample_bilinear(images, size)
    X = np.ascontiguousarray(images[:, None], dtype=np.float32)
    y = bunch.target.astype(np.int64)
    train, test = stratified_split(y, float(test_size), seed)
    return X[train], y[train], X[test], y[test]


# --------------------------------------------------------------------------- IDX files

# The third byte of an IDX file's magic number gives the type of the values (big-endian).
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        raw = fh.read()
    if head != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as exc:  # BadGzipFile is an OSError; truncated -> EOFError
        raise ValueError(
            f"read_idx: {path} is not a valid gzip file ({exc}); it is probably a truncated "
            f"download: delete it and download it again"
        ) from None


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the format of MNIST), gzip-compressed or raw, into a NumPy array.

    Format: two zero bytes, one byte for the type (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), one byte for the number of dimensions, then one
    big-endian uint32 per dimension, then the values in C order, big-endian.

    Returns
    -------
    numpy.ndarray in native byte order, e.g. (60000, 28, 28) uint8 for MNIST's images.

    Raises
    ------
    ValueError
        When the magic number is wrong or the file is shorter or longer than its header says.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.idx.gz")
    >>> write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(path)
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise ValueError(
            f"read_idx: {path} is not an IDX file (magic bytes {data[:4].hex() or 'missing'}; "
            f"expected 00 00, a type code among "
            f"{', '.join(f'{c:#04x}' for c in _IDX_DTYPES)} and the number of dimensions)"
        )
    dtype, ndim = _IDX_DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header ({len(data)} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"read_idx: {path} holds {len(data) - header} bytes of values but its header "
            f"announces shape {shape} of {dtype.name} ({expected} bytes); the file is "
            f"truncated or corrupted: delete it and download it again"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends with ``.gz``).

    The dtype must be one IDX knows: uint8, int8, int16, int32, float32 or float64.
    """
    array = np.asarray(array)
    code = _IDX_CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"write_idx: IDX cannot store dtype {array.dtype}; "
            f"use uint8, int8, int16, int32, float32 or float64"
        )
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()
    data = header + body
    path = Path(path)
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


# --------------------------------------------------------------------------- MNIST

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
# SHA-256 of the four official files (the same bytes on every MNIST mirror).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
_MNIST_KINDS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
DEFAULT_MNIST_ROOT = "~/.cache/cnncourse/mnist"
DOWNLOAD_TIMEOUT_S = 60
_CHUNK = 1 << 20


def sha256sum(path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, dest: Path) -> None:
    """Save ``url`` to ``dest`` (through ``dest.part``, so an interrupted download leaves no
    file under the final name). Raises ``OSError`` (``urllib.error.URLError``) when offline."""
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            with open(part, "wb") as fh:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    fh.write(chunk)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def _manual_hint(root: Path) -> str:
    urls = " ".join(MNIST_URL + name for name in MNIST_FILES)
    return f"download the four files by hand into {root} (from {urls}) and call again"


def _mnist_file(root: Path, name: str, download: bool) -> Path:
    """Path of a verified copy of ``name`` in ``root``, downloading it when allowed."""
    path = root / name
    expected = MNIST_FILES[name]
    if path.exists():
        if sha256sum(path) != expected:
            raise ValueError(
                f"load_mnist: {path} does not match the official MNIST file (SHA-256 "
                f"{sha256sum(path)[:16]}..., expected {expected[:16]}...); it is corrupted or "
                f"a different file: delete it and call load_mnist again to download it"
            )
        return path
    if not download:
        raise FileNotFoundError(
            f"load_mnist: {path} not found and download=False; call load_mnist(download=True) "
            f"or {_manual_hint(root)}"
        )
    root.mkdir(parents=True, exist_ok=True)
    try:
        _download(MNIST_URL + name, path)
    except OSError as exc:
        raise ConnectionError(
            f"load_mnist: could not download {MNIST_URL + name} ({exc}); if this machine is "
            f"offline, {_manual_hint(root)}"
        ) from exc
    if sha256sum(path) != expected:
        path.unlink()
        raise ValueError(
            f"load_mnist: the download of {name} does not match the official SHA-256 "
            f"(corrupted in transit or a changed mirror); it was deleted: call load_mnist "
            f"again to retry, or {_manual_hint(root)}"
        )
    return path


def load_mnist(
    root=DEFAULT_MNIST_ROOT, download: bool = True, kind: str = "train", padding: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's images (N, 1, 28 + 2p, 28 + 2p) float32 in [0, 1] and labels (N,) int64.

    The two files of ``kind`` are looked for in ``root``; a missing file is downloaded from
    :data:`MNIST_URL` when ``download`` is True. Every file, cached or new, must match the
    SHA-256 of the official file (:data:`MNIST_FILES`) before it is read.

    Parameters
    ----------
    root : str or path-like, default ``~/.cache/cnncourse/mnist``
        The cache folder (created when needed).
    download : bool, default True
        Download missing files; with False a missing file is an error.
    kind : {"train", "test"}
        The 60,000 training images or the 10,000 test images.
    padding : int >= 0, default 0
        Zero border added around every image; ``padding=2`` gives the 32x32 inputs of LeNet-5
        (as in the paper, where the 28x28 digits were centred in a 32x32 field).

    Raises
    ------
    ConnectionError
        Offline or the mirror unreachable (the message says how to get the files by hand).
    FileNotFoundError
        A file is missing and ``download`` is False.
    ValueError
        A file does not match its checksum (the message says to delete it and retry) or is
        not a valid IDX file.
    """
    func = "load_mnist"
    if kind not in _MNIST_KINDS:
        raise ValueError(f"{func}: argument 'kind' must be 'train' or 'test', got {kind!r}")
    padding = _check_int(padding, func, "padding", 0)
    root = Path(os.path.expanduser(os.fspath(root)))
    images_name, labels_name = _MNIST_KINDS[kind]
    images = read_idx(_mnist_file(root, images_name, download))
    labels = read_idx(_mnist_file(root, labels_name, download))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{func}: {images_name} and {labels_name} do not form a data set (images "
            f"{images.shape}, labels {labels.shape}; expected (N, 28, 28) and (N,))"
        )
    X = images[:, None].astype(np.float32) / np.float32(255)
    if padding:
        X = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    return np.ascontiguousarray(X), labels.astype(np.int64)
