"""Train a model of :mod:`cnncourse.architectures` with mini-batches, and measure it.

* :func:`train` — epochs of shuffled mini-batches: forward, loss, backward, optimizer step;
  a progress bar (tqdm); returns a :class:`History` of per-epoch loss and accuracies.
* :func:`predict` / :func:`evaluate` — logits and accuracy in evaluation mode, by batches.
* :func:`train_digits` — LeNet-5 on scikit-learn's digits, the run behind
  ``python -m cnncourse train-digits`` and notebook 06.
* :func:`plot_history` — loss and accuracy curves from a :class:`History`.

Determinism: for a given ``seed`` a run repeats bit for bit on one machine with the same
number of threads (one by default). The weights come from the builder's seed; the order
of the mini-batches and the augmentation come from streams derived from ``train``'s
``seed`` (``np.random.SeedSequence(seed).spawn``), and every ``Dropout`` layer of the model
is given a fresh generator derived from it when :func:`train` starts (the layer's ``rng``
is replaced).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
from dataclasses import dataclass, field

import numba
import numpy as np
from threadpoolctl import threadpool_limits

from ._backend import load_kernels
from .architectures import lenet5
from .datasets import load_digits
from .layers import Dropout, Layer, SoftmaxCrossEntropy
from .optim import Adam

__all__ = [
    "History",
    "DigitsRun",
    "RandomShift",
    "cosine_schedule",
    "limit_threads",
    "train",
    "predict",
    "evaluate",
    "train_digits",
    "plot_history",
    "DIGITS_EPOCHS",
    "DIGITS_BATCH_SIZE",
    "DIGITS_LR",
    "DIGITS_MAX_SHIFT",
]

PROGRESS_MODES = ("auto", "notebook", "text", None)
EVAL_BATCH_SIZE = 256
# What a student reads, in each language: the progress bar and the command's last line.
_WORDS = {
    "en": {
        "epoch": "epoch",
        "unit": "batch",
        "loss": "loss",
        "acc": "acc",
        "val_acc": "val_acc",
        "summary": "test accuracy {accuracy:.4f} in {seconds:.1f} s",
    },
    "es": {
        "epoch": "época",
        "unit": "lote",
        "loss": "pérdida",
        "acc": "exactitud",
        "val_acc": "exactitud_val",
        "summary": "exactitud en las imágenes de prueba {accuracy:.4f} en {seconds:.1f} s",
    },
}

# train-digits defaults: >= 0.97 test accuracy in well under a minute on 2 cores
DIGITS_EPOCHS = 20
DIGITS_BATCH_SIZE = 32
DIGITS_LR = 2e-3
DIGITS_MAX_SHIFT = 2


@dataclass
class History:
    """What :func:`train` measured, one entry per epoch.

    Attributes
    ----------
    loss : list of float
        Mean training loss over the epoch's mini-batches (in training mode, as they went).
    train_accuracy : list of float
        Share of the epoch's training samples classified right, counted on the fly (the
        weights change during the epoch, so it lags behind a clean evaluation).
    val_loss, val_accuracy : list of float
        Loss and accuracy on ``(X_val, y_val)`` in evaluation mode after each epoch; empty
        without a validation set.
    time : list of float
        Seconds from the start of :func:`train` to the end of each epoch (validation included).
    """

    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)


@dataclass
class DigitsRun:
    """Result of :func:`train_digits`: the trained model and what was measured."""

    model: Layer
    history: History
    test_accuracy: float
    seconds: float  # training plus the final test evaluation
    mean: float  # new images x in [0, 1] go in as (x - mean) / std
    std: float

    def summary_line(self, lang: str = "en") -> str:
        """``test accuracy 0.NNNN in NN.N s``, the last line of the command.

        ``lang="es"`` gives the notebooks' Spanish line,
        ``exactitud en las imágenes de prueba 0.NNNN en NN.N s``.
        """
        words = _words(lang, "summary_line")
        return words["summary"].format(accuracy=self.test_accuracy, seconds=self.seconds)

    def standardize(self, X) -> np.ndarray:
        """Images X in [0, 1] as the model saw them in training: ``(X - mean) / std``.

        The model was trained on standardised images: give it raw ones and it sees a
        background of 0 instead of ``-mean / std``, and its predictions go wrong. Use
        ``training.predict(run.model, run.standardize(X))``. Returns a new float32 array.
        """
        return _standardize(X, self.mean, self.std)


def _standardize(X, mean: float, std: float) -> np.ndarray:
    """``(X - mean) / std`` in float32, as :func:`train_digits` feeds LeNet-5."""
    X = np.asarray(X, dtype=np.float32)
    return (X - np.float32(mean)) / np.float32(std)


# --------------------------------------------------------------------------- checks


def _words(lang, func: str) -> dict:
    """The words of ``lang`` ("en" or "es") for what a student reads."""
    if not isinstance(lang, str) or lang not in _WORDS:
        raise ValueError(
            f"{func}: argument 'lang' must be one of {sorted(_WORDS)}, got {lang!r}; "
            f"'es' writes the progress bar and the summary line in Spanish"
        )
    return _WORDS[lang]


def _check_positive_int(value, func: str, arg: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{func}: argument '{arg}' must be an int >= 1, got {value!r}")
    return int(value)


def _check_data(X, y, func: str, x_arg: str = "X", y_arg: str = "y"):
    """X as a float (N, C, H, W) array (float32 stays float32), y as int labels (N,)."""
    X = np.asarray(X)
    if X.dtype.kind not in "f":
        raise TypeError(
            f"{func}: argument '{x_arg}' must hold floats, got dtype {X.dtype}; "
            f"convert with {x_arg}.astype(np.float32) (and scale pixels to [0, 1])"
        )
    if X.ndim != 4:
        raise ValueError(
            f"{func}: argument '{x_arg}' must be a batch of images (N, C, H, W), got shape "
            f"{X.shape}; add the channel axis with {x_arg}[:, None] for grayscale images"
        )
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{func}: argument '{y_arg}' must hold integer class indices, got dtype {y.dtype}; "
            f"convert with {y_arg}.astype(np.int64)"
        )
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"{func}: argument '{y_arg}' must have shape ({X.shape[0]},), one label per image "
            f"of '{x_arg}' {X.shape}, got {y.shape}"
        )
    return X, y


def _progress_bar(progress, total: int, unit: str = "batch"):
    """A tqdm bar for ``progress`` in PROGRESS_MODES (None: a bar that shows nothing)."""
    if progress not in PROGRESS_MODES:
        raise ValueError(
            f"train: argument 'progress' must be one of {PROGRESS_MODES}, got {progress!r}; "
            f"'auto' picks the notebook bar in Jupyter and the text bar elsewhere"
        )
    if progress == "notebook":
        from tqdm.notebook import tqdm
    elif progress == "text":
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, unit=unit, disable=progress is None, dynamic_ncols=True)


@contextlib.contextmanager
def limit_threads(threads: int | None):
    """Run the block with at most ``threads`` BLAS/OpenMP and Numba threads (None: as is)."""
    if threads is None:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        with threadpool_limits(threads):
            yield
    finally:
        numba.set_num_threads(before)


def cosine_schedule(lr: float, epochs: int, final: float = 0.0):
    """``epoch -> lr``: from ``lr`` at epoch 0 down to ``final`` along half a cosine.

    ``lr_e = final + (lr - final) * (1 + cos(pi * e / epochs)) / 2`` (Loshchilov and Hutter,
    2017, without restarts): large steps while far from a minimum, small ones at the end so
    that the last epochs settle instead of jumping around it.

    >>> schedule = cosine_schedule(0.1, epochs=4)
    >>> [round(schedule(e), 4) for e in range(4)]
    [0.1, 0.0854, 0.05, 0.0146]
    """
    epochs = _check_positive_int(epochs, "cosine_schedule", "epochs")

    def schedule(epoch: int) -> float:
        return final + (lr - final) * (1 + math.cos(math.pi * epoch / epochs)) / 2

    return schedule


class RandomShift:
    """Data augmentation: move every image by up to ``max_shift`` pixels along each axis.

    ``RandomShift(2)(x, rng)`` returns a copy of the batch x (N, C, H, W) in which image
    ``b`` is shifted by ``(dy, dx)`` drawn uniformly from ``-max_shift..max_shift``; pixels
    that enter from outside get the value ``fill`` (0, the background of [0, 1] images;
    the background's value after a standardisation). Handwriting is not always centred: a
    network that sees shifted copies cannot memorise exact positions.
    """

    def __init__(self, max_shift: int = 2, fill: float = 0.0):
        if isinstance(max_shift, bool) or not isinstance(max_shift, numbers.Integral):
            raise TypeError(f"RandomShift: argument 'max_shift' must be an int, got {max_shift!r}")
        if max_shift < 0:
            raise ValueError(f"RandomShift: argument 'max_shift' must be >= 0, got {max_shift}")
        self.max_shift = int(max_shift)
        self.fill = float(fill)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill:g})"

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        s = self.max_shift
        if s == 0:
            return x
        N, _, H, W = x.shape
        padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=self.fill)
        # offset (oy, ox) in 0..2s of the crop: the image moves by (s - oy, s - ox)
        offsets = rng.integers(0, 2 * s + 1, size=(N, 2))
        out = np.empty_like(x)
        for b, (oy, ox) in enumerate(offsets):
            out[b] = padded[b, :, oy : oy + H, ox : ox + W]
        return out


def _dropout_layers(layer: Layer) -> list[Dropout]:
    found = [layer] if isinstance(layer, Dropout) else []
    for child in layer.children():
        found += _dropout_layers(child)
    return found


# --------------------------------------------------------------------------- evaluation


def predict(model: Layer, X, batch_size: int = EVAL_BATCH_SIZE) -> np.ndarray:
    """Logits (N, K) of ``model`` for images X (N, C, H, W), in evaluation mode, by batches.

    The model is put in evaluation mode (dropout off, batch norm on its running statistics)
    and given back in the mode it was in.
    """
    X, _ = _check_data(X, None, "predict")
    batch_size = _check_positive_int(batch_size, "predict", "batch_size")
    was_training = model.training
    model.eval()
    try:
        outs = [model(X[i : i + batch_size]) for i in range(0, X.shape[0], batch_size)]
    finally:
        if was_training:
            model.train()
    return np.concatenate(outs)


def evaluate(model: Layer, X, y, batch_size: int = EVAL_BATCH_SIZE) -> float:
    """Accuracy of ``model`` on images X (N, C, H, W) with labels y (N,), in evaluation mode.

    Returns the share of images whose largest logit is the right class, in [0, 1].
    """
    X, y = _check_data(X, y, "evaluate")
    return float((predict(model, X, batch_size).argmax(axis=1) == y).mean())


# --------------------------------------------------------------------------- training


def train(
    model: Layer,
    X,
    y,
    epochs: int = 10,
    batch_size: int = 64,
    optimizer=None,
    loss=None,
    seed: int = 0,
    progress: str | None = "auto",
    X_val=None,
    y_val=None,
    augment=None,
    lr_schedule=None,
    threads: int | None = 1,
    lang: str = "en",
) -> History:
    """Train ``model`` on images X (N, C, H, W) with labels y (N,) by mini-batch descent.

    Every epoch visits the N samples once in a new random order, in mini-batches of
    ``batch_size`` (the last one may be smaller). For each batch: ``logits = model(xb)``,
    ``loss(logits, yb)``, ``model.backward(loss.backward())``, ``optimizer.step()``.

    Parameters
    ----------
    model : Layer
        E.g. ``cnncourse.architectures.lenet5()``; trained in place.
    X : (N, C, H, W) float array
        The training images, in the model's dtype (float32 for speed).
    y : (N,) int array
        The classes, in ``0..K-1`` for a model with K outputs.
    epochs, batch_size : int >= 1
    optimizer : object with ``step()`` and ``lr``, optional
        Built on ``model.parameters()``; default ``cnncourse.optim.Adam(..., lr=1e-3)``.
    loss : optional
        Default ``cnncourse.layers.SoftmaxCrossEntropy()``.
    seed : int
        Seeds the order of the batches and the dropout masks (the weights come from the
        model's own seed).
    progress : {"auto", "notebook", "text", None}
        The tqdm bar: ``"auto"`` (notebook bar in Jupyter, text elsewhere), ``"notebook"``,
        ``"text"``, or None for none. The bar goes to standard error.
    X_val, y_val : optional
        A validation set, evaluated after each epoch (``History.val_loss`` / ``val_accuracy``).
    augment : callable ``(xb, rng) -> xb``, optional
        Applied to every training batch, e.g. :class:`RandomShift`; ``rng`` is derived
        from ``seed``.
    lr_schedule : callable ``epoch -> lr``, optional
        Called with the epoch's index (0-based) before each epoch; the value becomes
        ``optimizer.lr``. E.g. :func:`cosine_schedule`.
    threads : int or None, default 1
        BLAS and Numba threads during training (restored afterwards); None leaves them as
        they are. LeNet-sized batches are too small for threads to pay: on a 2-core machine
        one thread is as fast when it is idle and several times faster when it is busy.
    lang : {"en", "es"}, default "en"
        The language of the progress bar ("epoch 1/3, loss=..." or "época 1/3, pérdida=...").

    Returns
    -------
    History
        The model itself is trained in place and left in evaluation mode.
    """
    func = "train"
    words = _words(lang, func)
    X, y = _check_data(X, y, func)
    epochs = _check_positive_int(epochs, func, "epochs")
    batch_size = _check_positive_int(batch_size, func, "batch_size")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{func}: argument 'seed' must be an int >= 0, got {seed!r}")
    has_val = X_val is not None or y_val is not None
    if has_val:
        if X_val is None or y_val is None:
            raise ValueError(f"{func}: pass both 'X_val' and 'y_val', or neither")
        X_val, y_val = _check_data(X_val, y_val, func, "X_val", "y_val")
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=1e-3)
    loss = SoftmaxCrossEntropy() if loss is None else loss

    if threads is not None:
        threads = _check_positive_int(threads, func, "threads")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(
            f"{func}: argument 'lr_schedule' must be a function epoch -> lr, got "
            f"{type(lr_schedule).__name__}; e.g. lr_schedule=cosine_schedule(1e-3, epochs)"
        )
    if augment is not None and not callable(augment):
        raise TypeError(
            f"{func}: argument 'augment' must be a function (xb, rng) -> xb, got "
            f"{type(augment).__name__}; e.g. augment=RandomShift(2)"
        )
    shuffle_seq, dropout_seq, augment_seq = np.random.SeedSequence(seed).spawn(3)
    order_rng = np.random.default_rng(shuffle_seq)
    augment_rng = np.random.default_rng(augment_seq)
    dropouts = _dropout_layers(model)
    for layer, child in zip(dropouts, dropout_seq.spawn(len(dropouts)), strict=True):
        layer.rng = np.random.default_rng(child)

    n = X.shape[0]
    n_batches = -(-n // batch_size)
    history = History()
    bar = _progress_bar(progress, epochs * n_batches, words["unit"])
    start = time.perf_counter()
    with limit_threads(threads), contextlib.closing(bar):
        for epoch in range(epochs):
            bar.set_description(f"{words['epoch']} {epoch + 1}/{epochs}")
            if lr_schedule is not None:
                optimizer.lr = float(lr_schedule(epoch))
            model.train()
            order = order_rng.permutation(n)
            loss_sum, correct = 0.0, 0
            for first in range(0, n, batch_size):
                idx = order[first : first + batch_size]
                xb, yb = X[idx], y[idx]
                if augment is not None:
                    xb = augment(xb, augment_rng)
                logits = model(xb)
                batch_loss = loss(logits, yb)
                model.backward(loss.backward())
                optimizer.step()
                loss_sum += batch_loss * idx.size
                correct += int((logits.argmax(axis=1) == yb).sum())
                bar.update(1)
            history.loss.append(loss_sum / n)
            history.train_accuracy.append(correct / n)
            postfix = {
                words["loss"]: f"{history.loss[-1]:.3f}",
                words["acc"]: f"{correct / n:.3f}",
            }
            if has_val:
                val_logits = predict(model, X_val)
                history.val_loss.append(float(SoftmaxCrossEntropy()(val_logits, y_val)))
                history.val_accuracy.append(float((val_logits.argmax(axis=1) == y_val).mean()))
                postfix[words["val_acc"]] = f"{history.val_accuracy[-1]:.3f}"
            bar.set_postfix(postfix)
            history.time.append(time.perf_counter() - start)
    model.eval()
    return history


def train_digits(
    epochs: int = DIGITS_EPOCHS,
    seed: int = 0,
    progress: str | None = "auto",
    batch_size: int = DIGITS_BATCH_SIZE,
    lr: float = DIGITS_LR,
    max_shift: int = DIGITS_MAX_SHIFT,
    lang: str = "en",
) -> DigitsRun:
    """Train LeNet-5 on scikit-learn's digits (upsampled to 32x32) and test it.

    The recipe:

    1. data: :func:`cnncourse.datasets.load_digits`, a stratified 80/20 split (1,438
       training and 359 test images; the split is fixed, ``seed=0``), standardised with the
       training set's mean and standard deviation (pixels in [0, 1] -> mean 0, std 1). The
       1,797 images were written by 13 people and the split is random, so the same hands
       are in both parts: the test accuracy is optimistic for digits by new writers;
    2. model: :func:`cnncourse.architectures.lenet5` built with ``seed``;
    3. training: :func:`train` with Adam at ``lr`` decayed by :func:`cosine_schedule`,
       mini-batches of ``batch_size`` shuffled with ``seed``, each image moved by up to
       ``max_shift`` pixels (:class:`RandomShift`); the test set gives the validation curves.

    The time reported (``DigitsRun.seconds``) runs from the start of training to the end
    of the final test evaluation, the per-epoch test evaluations included; loading the
    data, building the model and loading the compiled Numba kernels (done first) are not
    counted. ``lang="es"`` writes the progress bar in Spanish (see :func:`train`).

    Returns
    -------
    DigitsRun
        ``model`` (in evaluation mode), ``history``, ``test_accuracy``, ``seconds`` and the
        ``mean`` and ``std`` to standardise new images with (:meth:`DigitsRun.standardize`).
    """
    _words(lang, "train_digits")
    X_train, y_train, X_test, y_test = load_digits()
    mean, std = float(X_train.mean()), float(X_train.std())
    X_train, X_test = _standardize(X_train, mean, std), _standardize(X_test, mean, std)
    model = lenet5(num_classes=10, seed=seed)
    load_kernels()
    start = time.perf_counter()
    history = train(
        model,
        X_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=Adam(model.parameters(), lr=lr),
        seed=seed,
        progress=progress,
        X_val=X_test,
        y_val=y_test,
        augment=RandomShift(max_shift, fill=-mean / std),
        lr_schedule=cosine_schedule(lr, epochs),
        lang=lang,
    )
    with limit_threads(1):
        accuracy = evaluate(model, X_test, y_test)
    return DigitsRun(model, history, accuracy, time.perf_counter() - start, mean, std)


def plot_history(history: History, axes=None):
    """Plot loss (left) and accuracy (right) per epoch; returns the two matplotlib Axes.

    Training curves are solid, validation curves dashed (when there is a validation set).
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_loss, ax_acc = axes
    epochs = np.arange(1, history.epochs + 1)
    ax_loss.plot(epochs, history.loss, "o-", label="entrenamiento")
    ax_acc.plot(epochs, history.train_accuracy, "o-", label="entrenamiento")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, "s--", label="validación")
        ax_acc.plot(epochs, history.val_accuracy, "s--", label="validación")
    ax_loss.set(xlabel="época", ylabel="pérdida (entropía cruzada)", title="Pérdida")
    ax_acc.set(xlabel="época", ylabel="exactitud", title="Exactitud", ylim=(0, 1.02))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    return axes
