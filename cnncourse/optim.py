"""Optimizers: update a model's parameters in place from their gradients.

A training step with the layers of :mod:`cnncourse.layers`::

    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches:
        loss = loss_fn(model(x), y)        # forward
        model.backward(loss_fn.backward())  # fills every layer's grads
        optimizer.step()                    # param -= ... , in place

``model.parameters()`` is a list of ``(param, grad)`` pairs. The optimizer keeps
the pairs, so it sees each new gradient (backward overwrites ``grad`` in place)
and the model sees each update (``step`` changes ``param`` in place). The
formulas are PyTorch's (``torch.optim.SGD`` and ``torch.optim.Adam``).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["SGD", "Adam"]


def _check_number(value, owner: str, name: str, valid, expected: str, usual: str) -> float:
    """A real number for which ``valid(value)`` holds; returned as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not valid(value):
        raise ValueError(
            f"{owner}: argument '{name}' must be a number {expected}, got {value!r}; "
            f"the usual value is {usual}"
        )
    return float(value)


def _non_negative(value) -> bool:
    return value >= 0


def _fraction(value) -> bool:
    return 0 <= value < 1


def _check_parameters(parameters, owner: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """A non-empty list of (param, grad) pairs of float arrays of equal shape."""
    if hasattr(parameters, "parameters") and hasattr(parameters, "forward"):
        raise TypeError(
            f"{owner}: argument 'parameters' must be the list of (param, grad) pairs, got the "
            f"model itself ({type(parameters).__name__}); pass model.parameters()"
        )
    try:
        pairs = [tuple(pair) for pair in parameters]
    except TypeError:
        raise TypeError(
            f"{owner}: argument 'parameters' must be a list of (param, grad) pairs, got "
            f"{type(parameters).__name__}; pass model.parameters()"
        ) from None
    if not pairs:
        raise ValueError(
            f"{owner}: argument 'parameters' is empty: the model has nothing to train; "
            f"pass model.parameters() of a model with Conv2D, Dense or BatchNorm2d layers"
        )
    for i, pair in enumerate(pairs):
        ok = (
            len(pair) == 2
            and all(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in pair)
            and pair[0].shape == pair[1].shape
        )
        if not ok:
            raise TypeError(
                f"{owner}: element {i} of 'parameters' must be a pair (param, grad) of float "
                f"arrays of the same shape, got {pair!r:.80}; pass model.parameters()"
            )
    return pairs


class _Optimizer:
    """Holds the (param, grad) pairs; subclasses implement ``step``."""

    def __init__(self, parameters):
        self.pairs = _check_parameters(parameters, type(self).__name__)

    def step(self) -> None:
        """Update every parameter in place from its current gradient."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every gradient to zero (optional: backward overwrites them anyway)."""
        for _, grad in self.pairs:
            grad[...] = 0


class SGD(_Optimizer):
    """Stochastic gradient descent with momentum and weight decay (L2).

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        v = momentum * v + g          (v starts at 0)
        p = p - lr * v

    With ``momentum=0`` this is plain ``p -= lr * g``.

    Parameters
    ----------
    parameters : list of (ndarray, ndarray)
        ``model.parameters()``.
    lr : float, default 0.01
    momentum : float in [0, 1), default 0.0
    weight_decay : float >= 0, default 0.0
    """

    def __init__(self, parameters, lr=0.01, momentum=0.0, weight_decay=0.0):
        super().__init__(parameters)
        self.lr = _check_number(lr, "SGD", "lr", _non_negative, ">= 0", "lr=0.01 to 0.1")
        self.momentum = _check_number(
            momentum, "SGD", "momentum", _fraction, "in [0, 1)", "momentum=0.9"
        )
        self.weight_decay = _check_number(
            weight_decay, "SGD", "weight_decay", _non_negative, ">= 0", "weight_decay=5e-4"
        )
        self.velocities = [np.zeros_like(param) for param, _ in self.pairs]

    def step(self):
        for (param, grad), velocity in zip(self.pairs, self.velocities, strict=True):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            if self.momentum:
                velocity *= self.momentum
                velocity += grad
                grad = velocity
            param -= self.lr * grad


class Adam(_Optimizer):
    """Adam (Kingma and Ba, 2015): per-parameter steps from running moments of the gradient.

    At step ``t = 1, 2, ...``, for each parameter ``p`` with gradient ``g``::

        m = beta1 * m + (1 - beta1) * g          (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)               (bias corrections)
        v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    Parameters
    ----------
    parameters : list of (ndarray, ndarray)
        ``model.parameters()``.
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Decay rates of m and v, each in [0, 1).
    eps : float, default 1e-8
    """

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(parameters)
        self.lr = _check_number(lr, "Adam", "lr", _non_negative, ">= 0", "lr=1e-3")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(
                f"Adam: argument 'betas' must be a pair (beta1, beta2), got {betas!r}; "
                f"the usual value is betas=(0.9, 0.999)"
            )
        self.betas = tuple(
            _check_number(b, "Adam", "betas", _fraction, "in [0, 1)", "betas=(0.9, 0.999)")
            for b in betas
        )
        self.eps = _check_number(eps, "Adam", "eps", lambda e: e > 0, "> 0", "eps=1e-8")
        self.t = 0
        self.m = [np.zeros_like(param) for param, _ in self.pairs]
        self.v = [np.zeros_like(param) for param, _ in self.pairs]

    def step(self):
        self.t += 1
        beta1, beta2 = self.betas
        correction1 = 1 - beta1**self.t
        correction2 = 1 - beta2**self.t
        for (param, grad), m, v in zip(self.pairs, self.m, self.v, strict=True):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)
