"""cnncourse.datasets: the digits split, the IDX reader and the MNIST cache, all offline.

MNIST itself is never downloaded here: the tests write small IDX files into ``tmp_path``,
point the checksum table at them and replace the downloader, so every path of
``load_mnist`` (cached, downloaded, corrupted, offline) runs without a network.
"""

from __future__ import annotations

import doctest
import gzip
import hashlib
import urllib.error

import numpy as np
import pytest

from cnncourse import datasets
from cnncourse.datasets import load_digits, load_mnist, read_idx, write_idx

# ---------------------------------------------------------------- digits


def test_load_digits_shapes_dtypes_and_range():
    X_train, y_train, X_test, y_test = load_digits()
    assert X_train.shape == (1438, 1, 32, 32) and X_test.shape == (359, 1, 32, 32)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0, "pixels must lie in [0, 1]"
    assert X_train.flags.c_contiguous


def test_load_digits_split_is_stratified_and_disjoint():
    X_train, y_train, X_test, y_test = load_digits(test_size=0.2, size=8)
    counts_test = np.bincount(y_test, minlength=10)
    counts_all = counts_test + np.bincount(y_train, minlength=10)
    np.testing.assert_array_equal(counts_test, np.round(0.2 * counts_all).astype(int))
    # no image of the test set appears in the training set (8x8 originals compared exactly)
    train_rows = {row.tobytes() for row in X_train.reshape(len(X_train), -1)}
    duplicates = sum(row.tobytes() in train_rows for row in X_test.reshape(len(X_test), -1))
    assert duplicates <= 2, f"{duplicates} test images also in the training set"


def test_load_digits_same_seed_same_split_other_seed_other_split():
    first, again, other = load_digits(seed=3), load_digits(seed=3), load_digits(seed=4)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[3], other[3]) or not np.array_equal(first[2], other[2])


def test_load_digits_size_8_gives_the_original_grid_divided_by_16():
    from sklearn.datasets import load_digits as sklearn_digits

    X_train, y_train, X_test, y_test = load_digits(size=8)
    X = np.concatenate([X_train, X_test])[:, 0]
    assert X.shape[1:] == (8, 8)
    original = sklearn_digits().images / 16
    # every returned image is one of the originals, exactly
    originals = {img.astype(np.float32).tobytes() for img in original}
    assert all(img.tobytes() in originals for img in X)


def test_load_digits_upsampling_keeps_a_constant_image_constant():
    up = datasets.upsample_bilinear(np.full((1, 8, 8), 0.5), 32)
    np.testing.assert_allclose(up, 0.5)
    ramp = datasets.upsample_bilinear(np.tile(np.arange(8.0), (1, 8, 1)), 32)
    assert np.all(np.diff(ramp[0, 0]) >= 0), "a ramp must stay monotonic"


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"test_size": 0}, ValueError, "test_size"),
        ({"test_size": 1.5}, ValueError, "test_size"),
        ({"test_size": "a"}, TypeError, "test_size"),
        ({"size": 4}, ValueError, "size"),
        ({"seed": -1}, ValueError, "seed"),
    ],
)
def test_load_digits_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=rf"load_digits: argument '{match}'"):
        load_digits(**kwargs)


# ---------------------------------------------------------------- IDX


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
def test_idx_round_trip_raw_and_gzip(tmp_path, suffix, dtype):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(back, array)


def test_idx_gzip_file_is_really_compressed(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros((100, 28, 28), np.uint8))
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a.gz").stat().st_size < 100 * 28 * 28 // 10


def test_idx_header_is_the_official_one(tmp_path):
    """MNIST labels: magic 0x00000801, then the count, big-endian."""
    write_idx(tmp_path / "labels", np.array([7, 2, 1], np.uint8))
    assert (tmp_path / "labels").read_bytes() == bytes.fromhex("00000801 00000003 070201")


def test_read_idx_rejects_a_truncated_file(tmp_path):
    path = tmp_path / "images"
    write_idx(path, np.zeros((4, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="read_idx: .* truncated or corrupted"):
        read_idx(path)


def test_read_idx_rejects_a_broken_gzip(tmp_path):
    path = tmp_path / "images.gz"
    write_idx(path, np.arange(1000, dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ValueError, match="read_idx: .* not a valid gzip file"):
        read_idx(path)


def test_read_idx_rejects_a_file_that_is_not_idx(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html>Not Found</html>")
    with pytest.raises(ValueError, match="read_idx: .* is not an IDX file"):
        read_idx(path)


def test_write_idx_rejects_unsupported_dtypes(tmp_path):
    with pytest.raises(TypeError, match="write_idx: IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))


# ---------------------------------------------------------------- MNIST, offline


def write_idx_u8(path, array):
    write_idx(path, np.asarray(array, dtype=np.uint8))


@pytest.fixture
def mnist_source(tmp_path, monkeypatch):
    """A fake mirror in tmp_path/mirror whose checksums replace the official ones.

    ``_download`` copies from the mirror and counts its calls; no network is touched.
    """
    mirror = tmp_path / "mirror"
    rng = np.random.default_rng(0)
    mirror.mkdir()
    for prefix, n in {"train": 12, "t10k": 5}.items():
        write_idx_u8(mirror / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx_u8(mirror / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    sums = {
        name: hashlib.sha256((mirror / name).read_bytes()).hexdigest()
        for name in datasets.MNIST_FILES
    }
    monkeypatch.setattr(datasets, "MNIST_FILES", sums)
    calls = []

    def fake_download(url, dest):
        calls.append(url)
        dest.write_bytes((mirror / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(datasets, "_download", fake_download)
    return mirror, calls


def test_mnist_checksums_are_the_official_sha256s():
    assert set(datasets.MNIST_FILES) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    assert datasets.MNIST_FILES["train-images-idx3-ubyte.gz"].startswith("440fcabf73cc546f")
    assert all(len(s) == 64 and int(s, 16) >= 0 for s in datasets.MNIST_FILES.values())
    assert datasets.MNIST_URL.startswith("https://")


def test_load_mnist_downloads_verifies_and_reads(tmp_path, mnist_source):
    mirror, calls = mnist_source
    root = tmp_path / "cache"
    X, y = load_mnist(root=root, kind="train")
    assert X.shape == (12, 1, 28, 28) and X.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == [i % 10 for i in range(12)]
    expected = read_idx(mirror / "train-images-idx3-ubyte.gz")[:, None] / np.float32(255)
    np.testing.assert_array_equal(X, expected)
    assert len(calls) == 2 and all(url.startswith(datasets.MNIST_URL) for url in calls)
    assert (root / "train-images-idx3-ubyte.gz").exists(), "the download must be cached"
    X_test, y_test = load_mnist(root=root, kind="test", padding=2)
    assert X_test.shape == (5, 1, 32, 32) and y_test.shape == (5,)
    assert X_test[:, :, :2].max() == 0 and X_test[:, :, -2:].max() == 0


def test_load_mnist_reuses_the_cache_without_downloading(tmp_path, mnist_source):
    mirror, calls = mnist_source
    root = tmp_path / "cache"
    root.mkdir()
    for name in datasets.MNIST_FILES:
        (root / name).write_bytes((mirror / name).read_bytes())
    X, y = load_mnist(root=root, kind="test")
    assert X.shape == (5, 1, 28, 28)
    assert calls == [], "cached files must not be downloaded again"
    load_mnist(root=root, kind="train", download=False)
    assert calls == []


def test_load_mnist_expands_the_user_folder(tmp_path, mnist_source, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    load_mnist(root="~/mnist", kind="test")
    assert (tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz").exists()


def test_load_mnist_cached_file_with_wrong_checksum_says_delete_and_retry(tmp_path, mnist_source):
    mirror, calls = mnist_source
    root = tmp_path / "cache"
    root.mkdir()
    for name in datasets.MNIST_FILES:
        (root / name).write_bytes((mirror / name).read_bytes())
    bad = root / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x05"))
    with pytest.raises(ValueError, match=r"does not match the official MNIST file.*delete it"):
        load_mnist(root=root, kind="train")
    assert bad.exists(), "a file the user put there is never deleted behind their back"
    assert calls == []


def test_load_mnist_corrupted_download_is_deleted_and_reported(tmp_path, mnist_source):
    mirror, calls = mnist_source
    # the mirror serves a truncated file: its checksum no longer matches
    name = "t10k-images-idx3-ubyte.gz"
    (mirror / name).write_bytes((mirror / name).read_bytes()[:100])
    root = tmp_path / "cache"
    with pytest.raises(ValueError, match=r"download of t10k-images.* deleted.* again to retry"):
        load_mnist(root=root, kind="test")
    assert not (root / name).exists(), "a corrupted download must not stay in the cache"


def test_load_mnist_offline_says_how_to_get_the_files(tmp_path, monkeypatch):
    def offline(url, dest):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(datasets, "_download", offline)
    root = tmp_path / "cache"
    with pytest.raises(ConnectionError) as excinfo:
        load_mnist(root=root)
    msg = str(excinfo.value)
    assert "offline" in msg and str(root) in msg and "by hand" in msg
    for name in datasets.MNIST_FILES:
        assert datasets.MNIST_URL + name in msg


def test_load_mnist_without_download_reports_the_missing_file(tmp_path, mnist_source):
    _, calls = mnist_source
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.gz not found"):
        load_mnist(root=tmp_path / "empty", download=False)
    assert calls == []


def test_load_mnist_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="load_mnist: argument 'kind'"):
        load_mnist(root=tmp_path, kind="validation")
    with pytest.raises(ValueError, match="load_mnist: argument 'padding'"):
        load_mnist(root=tmp_path, padding=-1)


def test_real_downloader_leaves_no_partial_file(tmp_path, monkeypatch):
    """The real _download, fed by a fake urlopen that fails halfway: nothing stays behind."""

    class Broken:
        def __init__(self):
            self.sent = False

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            if self.sent:
                raise ConnectionResetError("connection reset")
            self.sent = True
            return b"\x1f\x8b partial"

    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: Broken())
    dest = tmp_path / "x.gz"
    with pytest.raises(OSError):
        datasets._download("https://example.invalid/x.gz", dest)
    assert list(tmp_path.iterdir()) == []


def test_docstring_examples_run():
    """The numpydoc Examples sections of cnncourse.datasets are correct (doctest)."""
    result = doctest.testmod(datasets, extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0
