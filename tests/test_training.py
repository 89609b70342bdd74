"""cnncourse.training: a short real training run, determinism, the pieces, and the CLI.

The full run (>= 0.97 test accuracy) belongs to ``python -m cnncourse train-digits`` and
the benchmark; here two epochs must clearly beat chance (10 classes: 0.1).
"""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import numba
import numpy as np
import pytest

from cnncourse import training
from cnncourse.architectures import lenet5
from cnncourse.datasets import load_digits
from cnncourse.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential
from cnncourse.optim import SGD, Adam
from cnncourse.training import (
    History,
    RandomShift,
    cosine_schedule,
    evaluate,
    limit_threads,
    predict,
    train,
    train_digits,
)

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
CHANCE = 0.1
CLEARLY_ABOVE_CHANCE = 0.5
FINAL_LINE = re.compile(r"^test accuracy (0\.\d{4}|1\.0000) in \d+\.\d s$")


@pytest.fixture(scope="module")
def digits():
    """A fixed subset: 600 training images, the 359 test images."""
    X_train, y_train, X_test, y_test = load_digits()
    return X_train[:600], y_train[:600], X_test, y_test


def small_cnn(seed=0, p=0.25):
    """A CNN with dropout, for 1x32x32 inputs: fast and exercising the dropout seeding."""
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2D(1, 4, 5, stride=2, rng=rng),  # 14x14
        ReLU(),
        MaxPool2D(2),  # 7x7
        Flatten(),
        Dropout(p, rng=seed),
        Dense(4 * 7 * 7, 10, rng=rng),
    )


# ---------------------------------------------------------------- real training


def test_train_digits_two_epochs_clearly_beats_chance():
    run = train_digits(epochs=2, seed=0, progress=None)
    assert run.test_accuracy > CLEARLY_ABOVE_CHANCE, (
        f"LeNet-5 after 2 epochs on digits: test accuracy {run.test_accuracy:.3f}, "
        f"chance is {CHANCE}"
    )
    assert run.history.epochs == 2 and len(run.history.val_accuracy) == 2
    assert run.history.loss[1] < run.history.loss[0], "the training loss must go down"
    assert not run.model.training, "the returned model must be in evaluation mode"
    assert FINAL_LINE.match(run.summary_line()), run.summary_line()
    assert run.seconds >= run.history.time[-1] > 0
    # new images go in standardised as in training: run.standardize reproduces the accuracy
    _, _, X_test, y_test = load_digits()
    X_std = run.standardize(X_test)
    assert X_std.dtype == np.float32 and X_std.shape == X_test.shape
    np.testing.assert_allclose(X_std, (X_test - run.mean) / run.std, rtol=1e-5, atol=1e-6)
    assert evaluate(run.model, X_std, y_test) == run.test_accuracy
    assert X_test.min() == 0.0, "standardize must not modify its argument"


def test_train_lenet5_on_a_subset_beats_chance_and_fills_history(digits):
    X, y, X_test, y_test = digits
    model = lenet5(seed=1)
    history = train(model, X, y, epochs=2, batch_size=32, progress=None, X_val=X_test, y_val=y_test)
    assert isinstance(history, History)
    assert len(history.loss) == len(history.train_accuracy) == len(history.time) == 2
    assert len(history.val_loss) == len(history.val_accuracy) == 2
    assert history.time[0] < history.time[1]
    assert all(0 <= a <= 1 for a in history.train_accuracy + history.val_accuracy)
    accuracy = evaluate(model, X_test, y_test)
    assert accuracy == pytest.approx(history.val_accuracy[-1])
    assert accuracy > CLEARLY_ABOVE_CHANCE


def test_train_is_deterministic_for_a_seed(digits):
    X, y, _, _ = digits

    def run(seed):
        model = small_cnn()
        history = train(
            model, X, y, epochs=2, batch_size=50, seed=seed, progress=None,
            augment=RandomShift(1),
        )  # fmt: skip
        return history.loss, model

    loss_a, model_a = run(seed=5)
    loss_b, model_b = run(seed=5)
    loss_c, _ = run(seed=6)
    assert loss_a == loss_b, "two runs with the same seed must give identical losses"
    for (pa, _), (pb, _) in zip(model_a.parameters(), model_b.parameters(), strict=True):
        np.testing.assert_array_equal(pa, pb)
    assert loss_a != loss_c, "another seed must shuffle (and drop out) differently"


def test_train_reseeds_dropout_so_a_reused_model_repeats(digits):
    """The dropout masks depend on train's seed, not on how often the model was used."""
    X, y, _, _ = digits
    model = small_cnn(p=0.5)
    start = [p.copy() for p, _ in model.parameters()]

    def run():
        for (p, _), p0 in zip(model.parameters(), start, strict=True):
            p[...] = p0
        opt = SGD(model.parameters(), lr=0.05)
        return train(model, X[:200], y[:200], epochs=1, optimizer=opt, seed=3, progress=None)

    assert run().loss == run().loss


def test_train_without_validation_leaves_val_lists_empty(digits):
    X, y, _, _ = digits
    history = train(small_cnn(), X[:100], y[:100], epochs=1, progress=None)
    assert history.val_loss == [] and history.val_accuracy == []
    assert history.epochs == 1


def test_train_with_sgd_and_a_schedule_sets_the_learning_rate(digits):
    X, y, _, _ = digits
    model = small_cnn()
    opt = SGD(model.parameters(), lr=1.0, momentum=0.9)
    seen = []

    def schedule(epoch):
        seen.append(epoch)
        return 0.01 / (epoch + 1)

    train(model, X[:64], y[:64], epochs=3, optimizer=opt, lr_schedule=schedule, progress=None)
    assert seen == [0, 1, 2]
    assert opt.lr == pytest.approx(0.01 / 3)


def test_train_leaves_the_model_in_eval_mode_and_predict_restores_the_mode(digits):
    X, y, X_test, _ = digits
    model = small_cnn()
    train(model, X[:64], y[:64], epochs=1, progress=None)
    assert not model.training
    model.train()
    logits = predict(model, X_test, batch_size=100)
    assert logits.shape == (len(X_test), 10)
    assert model.training, "predict must give the model back in the mode it was in"
    # evaluation mode: dropout off, so two predictions agree
    np.testing.assert_array_equal(logits, predict(model, X_test, batch_size=100))


def test_train_shows_a_text_progress_bar(digits, capsys):
    X, y, _, _ = digits
    train(small_cnn(), X[:64], y[:64], epochs=2, batch_size=32, progress="text")
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "4/4" in err and "loss=" in err


def test_limit_threads_restores_the_numba_threads():
    before = numba.get_num_threads()
    with limit_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with limit_threads(None):
        assert numba.get_num_threads() == before


# ---------------------------------------------------------------- pieces


def test_random_shift_moves_content_and_fills_the_border():
    x = np.zeros((50, 1, 8, 8), np.float32)
    x[:, :, 3:5, 3:5] = 1.0
    out = RandomShift(2, fill=-1.0)(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert np.all((out == 1.0).sum(axis=(1, 2, 3)) == 4), "the blob must move whole"
    rows = np.argwhere(out[:, 0] == 1.0)[:, 1]
    assert rows.min() == 1 and rows.max() == 6, "shifts of up to 2 pixels both ways"
    assert (out == -1.0).any(), "pixels entering from outside get the fill value"
    np.testing.assert_array_equal(x[:, :, 3:5, 3:5], 1.0)  # the input is not modified
    again = RandomShift(2, fill=-1.0)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(out, again)
    assert RandomShift(0)(x, np.random.default_rng(0)) is x


def test_cosine_schedule_starts_at_lr_and_decays_to_final():
    schedule = cosine_schedule(0.1, epochs=10, final=0.001)
    values = [schedule(e) for e in range(10)]
    assert values[0] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(values[:-1], values[1:], strict=True))
    assert values[-1] > 0.001
    assert schedule(10) == pytest.approx(0.001)


def test_plot_history_draws_train_and_validation_curves():
    history = History(
        loss=[1.0, 0.5],
        train_accuracy=[0.6, 0.8],
        val_loss=[1.1, 0.7],
        val_accuracy=[0.5, 0.7],
        time=[1.0, 2.0],
    )
    ax_loss, ax_acc = training.plot_history(history)
    assert len(ax_loss.lines) == 2 and len(ax_acc.lines) == 2
    np.testing.assert_array_equal(ax_acc.lines[1].get_ydata(), [0.5, 0.7])
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "change, exc, match",
    [
        ({"X": "int"}, TypeError, r"train: argument 'X' must hold floats"),
        ({"X": "3d"}, ValueError, r"train: argument 'X' must be a batch of images"),
        ({"y": "float"}, TypeError, r"train: argument 'y' must hold integer class indices"),
        ({"y": "short"}, ValueError, r"train: argument 'y' must have shape \(8,\)"),
        ({"epochs": 0}, ValueError, r"train: argument 'epochs' must be an int >= 1"),
        ({"batch_size": 2.5}, ValueError, r"train: argument 'batch_size'"),
        ({"seed": -1}, ValueError, r"train: argument 'seed'"),
        ({"progress": "bar"}, ValueError, r"train: argument 'progress' must be one of"),
        ({"augment": 3}, TypeError, r"train: argument 'augment' must be a function"),
        ({"lr_schedule": 0.1}, TypeError, r"train: argument 'lr_schedule' must be a function"),
        ({"X_val": "only"}, ValueError, r"train: pass both 'X_val' and 'y_val'"),
        ({"threads": 0}, ValueError, r"train: argument 'threads'"),
    ],
)
def test_train_rejects_bad_arguments(change, exc, match):
    X = np.zeros((8, 1, 32, 32), np.float32)
    y = np.zeros(8, np.int64)
    kwargs = {"epochs": 1, "progress": None}
    variants = {
        ("X", "int"): ("X", X.astype(np.uint8)),
        ("X", "3d"): ("X", X[:, 0]),
        ("y", "float"): ("y", y.astype(float)),
        ("y", "short"): ("y", y[:5]),
        ("X_val", "only"): ("X_val", X),
    }
    for key, value in change.items():
        name, value = variants.get((key, value), (key, value))
        kwargs[name] = value
    X_arg, y_arg = kwargs.pop("X", X), kwargs.pop("y", y)
    with pytest.raises(exc, match=match):
        train(small_cnn(), X_arg, y_arg, **kwargs)


def test_random_shift_rejects_bad_shifts():
    with pytest.raises(ValueError, match="RandomShift: argument 'max_shift' must be >= 0"):
        RandomShift(-1)
    with pytest.raises(TypeError, match="RandomShift: argument 'max_shift' must be an int"):
        RandomShift(1.5)


def test_evaluate_checks_its_labels():
    X = np.zeros((4, 1, 32, 32), np.float32)
    with pytest.raises(ValueError, match=r"evaluate: argument 'y' must have shape \(4,\)"):
        evaluate(small_cnn(), X, np.zeros(3, int))


def test_adam_is_the_default_optimizer(digits, monkeypatch):
    made = []
    real = training.Adam

    def spy(params, **kwargs):
        made.append(kwargs)
        return real(params, **kwargs)

    monkeypatch.setattr(training, "Adam", spy)
    X, y, _, _ = digits
    train(small_cnn(), X[:32], y[:32], epochs=1, progress=None)
    assert made == [{"lr": 1e-3}] and real is Adam


# ---------------------------------------------------------------- command line


def test_cli_train_digits_one_epoch_ends_with_the_accuracy_line():
    res = subprocess.run(
        [sys.executable, "-m", "cnncourse", "train-digits", "--epochs", "1", "--seed", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    last = res.stdout.strip().splitlines()[-1]
    assert FINAL_LINE.match(last), f"last line {last!r} is not 'test accuracy 0.NNNN in NN.N s'"
    assert float(last.split()[2]) > CLEARLY_ABOVE_CHANCE
    assert "epoch 1/1" in res.stderr, "the progress bar goes to standard error"
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("args", [["--epochs", "0"], ["--epochs", "x"], ["--seed", "-2"]])
def test_cli_train_digits_rejects_bad_options(args):
    res = subprocess.run(
        [sys.executable, "-m", "cnncourse", "train-digits", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    assert "expected an int" in res.stderr and "Traceback" not in res.stderr


def test_docstring_examples_run():
    """The Examples of cnncourse.training are correct (doctest)."""
    result = doctest.testmod(training, extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0
