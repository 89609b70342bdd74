"""cnncourse.optim: SGD and Adam against hand-computed steps, PyTorch, and a tiny training run."""

import numpy as np
import pytest

from cnncourse.layers import Conv2D, Dense, GlobalAvgPool, ReLU, Sequential, SoftmaxCrossEntropy
from cnncourse.optim import SGD, Adam


def one_parameter(value=1.0, grad=0.5):
    """A single (param, grad) pair of shape (1,), as model.parameters() would give."""
    return np.array([value]), np.array([grad])


def run_steps(optimizer_class, grads, **kwargs):
    """Parameter values after each step, the gradient set to grads[i] before step i."""
    param, grad = one_parameter(0.0, 0.0)
    optimizer = optimizer_class([(param, grad)], **kwargs)
    values = []
    for g in grads:
        grad[...] = g
        optimizer.step()
        values.append(float(param[0]))
    return values


# ----------------------------------------------------------------------------
# hand-computed steps
# ----------------------------------------------------------------------------
def test_sgd_plain_steps():
    param, grad = one_parameter(1.0, 0.5)
    optimizer = SGD([(param, grad)], lr=0.1)
    values = []
    for _ in range(3):
        optimizer.step()
        values.append(float(param[0]))
    assert values == pytest.approx([0.95, 0.90, 0.85])  # p -= 0.1 * 0.5


def test_sgd_momentum_steps():
    param, grad = one_parameter(1.0, 0.5)
    optimizer = SGD([(param, grad)], lr=0.1, momentum=0.9)
    values = []
    for _ in range(3):
        optimizer.step()
        values.append(float(param[0]))
    # v: 0.5, 0.9*0.5 + 0.5 = 0.95, 0.9*0.95 + 0.5 = 1.355; p -= 0.1 * v
    assert values == pytest.approx([0.95, 0.855, 0.7195])


def test_sgd_momentum_and_weight_decay_steps():
    param, grad = one_parameter(1.0, 0.5)
    optimizer = SGD([(param, grad)], lr=0.1, momentum=0.9, weight_decay=0.1)
    values = []
    for _ in range(3):
        optimizer.step()
        values.append(float(param[0]))
    # d = 0.5 + 0.1 p:  0.6, 0.594, 0.58266;  v = 0.9 v + d:  0.6, 1.134, 1.60326
    assert values == pytest.approx([0.94, 0.8266, 0.666274])
    assert grad[0] == 0.5  # weight decay does not modify the stored gradient


def test_adam_steps():
    values = run_steps(Adam, [1.0, -0.5, 2.0], lr=0.1)
    # t=1: m=0.1, v=0.001 -> m_hat=1, v_hat=1: p = -0.1 / (1 + 1e-8)
    # t=2: m=0.04, v=0.001249 -> m_hat=0.04/0.19, v_hat=0.001249/0.001999
    # t=3: m=0.236, v=0.005247751 -> m_hat=0.236/0.271, v_hat=0.005247751/0.002997001
    assert values == pytest.approx([-0.099999999, -0.1266337026, -0.1924448622], rel=1e-9)


def test_adam_first_step_is_lr_times_sign():
    """Bias correction makes the first step lr * g / |g|, whatever the gradient's scale."""
    for g in (0.1, 3.0, -50.0):  # |g| >> eps
        assert run_steps(Adam, [g], lr=0.01) == pytest.approx([-0.01 * np.sign(g)], rel=1e-5)


def test_step_updates_in_place_and_keeps_float32():
    layer = Dense(3, 2)
    weight = layer.params["weight"]
    before = weight.copy()
    layer.grads["weight"][...] = 1.0
    for optimizer in (SGD(layer.parameters(), lr=0.1, momentum=0.9), Adam(layer.parameters())):
        optimizer.step()
    assert layer.params["weight"] is weight and weight.dtype == np.float32
    assert np.all(weight < before)


def test_zero_grad_clears_gradients_in_place():
    param, grad = one_parameter()
    SGD([(param, grad)]).zero_grad()
    assert grad[0] == 0.0


# ----------------------------------------------------------------------------
# a tiny training problem
# ----------------------------------------------------------------------------
def bars(n, rng):
    """Images 1x6x6 with a horizontal (label 0) or vertical (label 1) bar, plus noise."""
    labels = rng.integers(0, 2, n)
    x = 0.1 * rng.standard_normal((n, 1, 6, 6))
    for i, (label, where) in enumerate(zip(labels, rng.integers(1, 5, n), strict=True)):
        if label == 0:
            x[i, 0, where, :] += 1.0
        else:
            x[i, 0, :, where] += 1.0
    return x.astype(np.float32), labels


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda params: SGD(params, lr=0.1, momentum=0.9),
        lambda params: Adam(params, lr=0.02),
    ],
    ids=["SGD", "Adam"],
)
def test_training_decreases_the_loss(make_optimizer):
    rng = np.random.default_rng(0)
    x, labels = bars(32, rng)
    model = Sequential(Conv2D(1, 4, 3, rng=rng), ReLU(), GlobalAvgPool(), Dense(4, 2, rng=rng))
    loss_fn = SoftmaxCrossEntropy()
    optimizer = make_optimizer(model.parameters())
    losses = []
    for _ in range(40):
        losses.append(loss_fn(model(x), labels))
        model.backward(loss_fn.backward())
        optimizer.step()
    assert losses[-1] < 0.3 * losses[0], losses
    accuracy = np.mean(model(x).argmax(axis=1) == labels)
    assert accuracy > 0.9


# ----------------------------------------------------------------------------
# against PyTorch, when it is installed
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [
        (SGD, "SGD", {"lr": 0.1}),
        (SGD, "SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
        (Adam, "Adam", {"lr": 0.01}),
        (Adam, "Adam", {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ],
)
def test_optimizers_match_torch_optim(ours, theirs, kwargs):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: comparison skipped")
    rng = np.random.default_rng(1)
    shapes = [(3, 2, 2), (4,)]
    params = [rng.standard_normal(s) for s in shapes]
    grads = [np.zeros(s) for s in shapes]
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = ours(list(zip(params, grads, strict=True)), **kwargs)
    toptimizer = getattr(torch.optim, theirs)(tparams, **kwargs)
    for _ in range(3):
        for grad, tparam in zip(grads, tparams, strict=True):
            grad[...] = rng.standard_normal(grad.shape)
            tparam.grad = torch.tensor(grad.copy())
        optimizer.step()
        toptimizer.step()
        for param, tparam in zip(params, tparams, strict=True):
            np.testing.assert_allclose(param, tparam.detach().numpy(), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------
ERROR_CASES = [
    (lambda: SGD(Dense(2, 2)), TypeError, r"SGD: .*got the model itself.*model\.parameters\(\)"),
    (lambda: SGD([]), ValueError, r"SGD: argument 'parameters' is empty"),
    (lambda: SGD(3), TypeError, r"SGD: argument 'parameters' must be a list of \(param, grad\)"),
    (
        lambda: Adam([(np.zeros(2), np.zeros(3))]),
        TypeError,
        r"Adam: element 0 of 'parameters' must be a pair \(param, grad\)",
    ),
    (
        lambda: SGD([one_parameter()], lr=-1),
        ValueError,
        r"SGD: argument 'lr' must be a number >= 0",
    ),
    (
        lambda: SGD([one_parameter()], momentum=1.0),
        ValueError,
        r"SGD: argument 'momentum' must be a number in \[0, 1\), got 1\.0",
    ),
    (lambda: SGD([one_parameter()], lr="0.1"), ValueError, r"SGD: argument 'lr'"),
    (
        lambda: Adam([one_parameter()], betas=0.9),
        ValueError,
        r"Adam: argument 'betas' must be a pair",
    ),
    (lambda: Adam([one_parameter()], betas=(0.9, 1.0)), ValueError, r"Adam: argument 'betas'"),
    (
        lambda: Adam([one_parameter()], eps=0),
        ValueError,
        r"Adam: argument 'eps' must be a number > 0",
    ),
]


@pytest.mark.parametrize("call, exc, pattern", ERROR_CASES)
def test_bad_arguments_raise_clear_errors(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
