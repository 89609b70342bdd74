"""cnncourse.layers: every forward/backward against numerical gradients, and the contract.

Gradient checks are central differences in float64 of ``L = sum(forward(x) * r)``
for a fixed random projection ``r`` of the output, with respect to the input and to
every parameter. The error is the norm-wise relative error
``|a - b| / (|a| + |b|)`` (elementwise ratios blow up on entries that are zero up
to rounding); it should be ~1e-8 or better, and the tests ask for 1e-6.
"""

import numpy as np
import pytest

import cnncourse
from cnncourse.layers import (
    AvgPool2D,
    BatchNorm2d,
    Bottleneck,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Inception,
    Layer,
    LocalResponseNorm,
    MaxPool2D,
    ReLU,
    ResidualBlock,
    Sequential,
    SoftmaxCrossEntropy,
    softmax,
)

GRAD_TOL = 1e-6
STEP = 1e-5  # central differences: truncation ~STEP**2, rounding ~1e-16 / STEP
F64 = np.float64


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def rel_error(a, b):
    """Norm-wise relative error |a - b| / (|a| + |b|) (0 when both are zero)."""
    a, b = np.asarray(a, dtype=F64), np.asarray(b, dtype=F64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def numerical_gradient(loss, array, h=STEP):
    """dL/d(array) by central differences, perturbing ``array`` in place (and restoring it)."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        old = array[i]
        array[i] = old + h
        plus = loss()
        array[i] = old - h
        minus = loss()
        array[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def away_from_zero(rng, shape, margin=0.1):
    """Normal values pushed at least ``margin`` away from 0 (no ReLU kink within a step)."""
    x = rng.standard_normal(shape)
    return x + np.sign(x) * margin


def distinct_values(rng, shape):
    """Values at least 0.1 apart, shuffled: no max-pool tie within a finite-difference step."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) / 10.0


def gradient_errors(layer, x, before_forward=lambda: None):
    """Relative errors of dx and of every parameter's gradient against numerical ones.

    ``before_forward`` runs before each forward (Dropout re-seeds its rng there, so
    that every evaluation uses the same mask).
    """
    before_forward()
    out = layer.forward(x)
    proj = np.random.default_rng(123).standard_normal(out.shape)
    dx = layer.backward(proj)
    grads = [grad.copy() for _, grad in layer.parameters()]

    def loss():
        before_forward()
        return float(np.sum(layer.forward(x) * proj))

    errors = {"x": rel_error(dx, numerical_gradient(loss, x))}
    for i, ((param, _), grad) in enumerate(zip(layer.parameters(), grads, strict=True)):
        errors[f"param {i} {param.shape}"] = rel_error(grad, numerical_gradient(loss, param))
    return errors


def assert_gradients(layer, x, before_forward=lambda: None):
    errors = gradient_errors(layer, x, before_forward)
    worst = max(errors.values())
    assert worst < GRAD_TOL, f"{type(layer).__name__}: relative errors {errors}"


def randomize(layer, rng):
    """Perturb every parameter (biases and BN's gamma/beta start as constants)."""
    for param, _ in layer.parameters():
        param += 0.5 * rng.standard_normal(param.shape)


# ----------------------------------------------------------------------------
# gradient checks, one per layer
# ----------------------------------------------------------------------------
CONV_CASES = [
    # in, out, kernel_size, stride, padding, groups, bias, x shape
    (3, 4, 3, 1, 1, 1, True, (2, 3, 5, 5)),
    (4, 6, (3, 2), (2, 1), (1, 2), 2, True, (2, 4, 7, 6)),  # groups=2, non-square, pairs
    (4, 4, 3, 2, 0, 2, False, (1, 4, 7, 7)),  # stride 2, no bias
    (3, 6, (2, 3), 2, 1, 3, True, (2, 3, 6, 5)),  # depthwise-like, groups=3
    (8, 16, 3, 1, 1, 1, True, (1, 8, 4, 5)),  # im2col + GEMM path (window 72, 16 filters)
]


@pytest.mark.parametrize("cin, cout, k, s, p, g, bias, xshape", CONV_CASES)
def test_conv2d_gradients_match_numerical(cin, cout, k, s, p, g, bias, xshape):
    rng = np.random.default_rng(0)
    layer = Conv2D(cin, cout, k, stride=s, padding=p, bias=bias, groups=g, dtype=F64, rng=rng)
    randomize(layer, rng)
    assert_gradients(layer, rng.standard_normal(xshape))


def test_conv2d_groups_equal_separate_convolutions():
    """groups=2: the first half of the filters sees only the first half of the channels."""
    rng = np.random.default_rng(1)
    layer = Conv2D(4, 6, 3, padding=1, groups=2, dtype=F64, rng=rng)
    randomize(layer, rng)
    x = rng.standard_normal((2, 4, 5, 5))
    w, b = layer.params["weight"], layer.params["bias"]
    assert w.shape == (6, 2, 3, 3)
    expected = np.concatenate(
        [
            cnncourse.conv2d(x[:, :2], w[:3], 1, 1, b[:3]),
            cnncourse.conv2d(x[:, 2:], w[3:], 1, 1, b[3:]),
        ],
        axis=1,
    )
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


def test_relu_gradients_match_numerical():
    rng = np.random.default_rng(2)
    assert_gradients(ReLU(), away_from_zero(rng, (2, 3, 4, 4)))


def test_relu_backward_passes_gradient_only_where_input_positive():
    relu = ReLU()
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu(x), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "layer",
    [
        MaxPool2D(2),
        MaxPool2D(3, stride=2, padding=1),
        MaxPool2D((2, 3), stride=(1, 2)),
        AvgPool2D(2),
        AvgPool2D(3, stride=2, padding=1),
    ],
    ids=repr,
)
def test_pooling_gradients_match_numerical(layer):
    rng = np.random.default_rng(3)
    assert_gradients(layer, distinct_values(rng, (2, 3, 6, 7)))


def test_maxpool_ties_route_to_first_max_like_pytorch():
    """Equal values in a window: forward gives the max, backward sends dout to the first one.

    Finite differences are meaningless at a tie (the max is not differentiable there),
    so the routing is checked against a hand-computed answer.
    """
    x = np.array(
        [
            [1.0, 1.0, 0.0, 2.0],
            [1.0, 1.0, 2.0, 2.0],
            [5.0, 3.0, -1.0, -1.0],
            [3.0, 5.0, -1.0, -1.0],
        ]
    )[None, None]
    pool = MaxPool2D(2)
    np.testing.assert_array_equal(pool(x)[0, 0], [[1.0, 2.0], [5.0, -1.0]])
    dx = pool.backward(np.array([[10.0, 20.0], [30.0, 40.0]])[None, None])
    expected = np.array(
        [
            [10.0, 0.0, 0.0, 20.0],  # (0,0) and (0,3): first of the window's maxima, row-major
            [0.0, 0.0, 0.0, 0.0],
            [30.0, 0.0, 40.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_maxpool_overlapping_windows_add_gradients_at_shared_max():
    x = np.array([[0.0, 9.0, 0.0, 0.0]])[None, None]  # 1 x 4, windows (0,1), (1,2), (2,3)
    pool = MaxPool2D((1, 2), stride=1)
    np.testing.assert_array_equal(pool(x)[0, 0], [[9.0, 9.0, 0.0]])
    dx = pool.backward(np.array([[[[1.0, 2.0, 4.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[0.0, 3.0, 4.0, 0.0]])


def test_global_avg_pool_and_flatten_gradients():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 5))
    assert GlobalAvgPool()(x).shape == (2, 3)
    np.testing.assert_allclose(GlobalAvgPool()(x), x.mean(axis=(2, 3)))
    assert_gradients(GlobalAvgPool(), x)
    assert Flatten()(x).shape == (2, 60)
    assert_gradients(Flatten(), x)


def test_dense_gradients_match_numerical():
    rng = np.random.default_rng(5)
    layer = Dense(6, 4, dtype=F64, rng=rng)
    randomize(layer, rng)
    assert layer.params["weight"].shape == (4, 6)  # (out, in) like torch.nn.Linear
    assert_gradients(layer, rng.standard_normal((3, 6)))


def test_batchnorm_train_mode_gradients_match_numerical():
    rng = np.random.default_rng(6)
    layer = BatchNorm2d(3, dtype=F64)
    randomize(layer, rng)
    assert_gradients(layer, rng.standard_normal((3, 3, 4, 2)) * 2 + 1)


def test_batchnorm_eval_mode_gradients_match_numerical():
    rng = np.random.default_rng(7)
    layer = BatchNorm2d(3, dtype=F64).eval()
    randomize(layer, rng)
    layer.running_mean[:] = rng.standard_normal(3)
    layer.running_var[:] = rng.random(3) + 0.5
    assert_gradients(layer, rng.standard_normal((2, 3, 3, 3)))


def test_batchnorm_train_output_is_normalized_per_channel():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 2, 5, 5)) * 3 + 7
    out = BatchNorm2d(2, dtype=F64)(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-4)  # var / (var + eps)


def test_batchnorm_running_stats_update_with_momentum_and_eval_uses_them():
    rng = np.random.default_rng(9)
    bn = BatchNorm2d(2, momentum=0.25, dtype=F64)
    x1, x2 = rng.standard_normal((2, 3, 2, 3, 3)) * 2 + 1  # two batches (3, 2, 3, 3)
    count = 3 * 3 * 3
    bn(x1)
    mean1 = x1.mean(axis=(0, 2, 3))
    var1 = x1.var(axis=(0, 2, 3)) * count / (count - 1)  # unbiased, as PyTorch
    np.testing.assert_allclose(bn.running_mean, 0.75 * 0 + 0.25 * mean1)
    np.testing.assert_allclose(bn.running_var, 0.75 * 1 + 0.25 * var1)
    bn(x2)
    mean2 = x2.mean(axis=(0, 2, 3))
    var2 = x2.var(axis=(0, 2, 3)) * count / (count - 1)
    expected_mean = 0.75 * (0.25 * mean1) + 0.25 * mean2
    expected_var = 0.75 * (0.75 + 0.25 * var1) + 0.25 * var2
    np.testing.assert_allclose(bn.running_mean, expected_mean)
    np.testing.assert_allclose(bn.running_var, expected_var)

    bn.params["weight"][:] = [2.0, 0.5]
    bn.params["bias"][:] = [1.0, -1.0]
    bn.eval()
    out = bn(x1)
    scale = np.array([2.0, 0.5]) / np.sqrt(expected_var + 1e-5)
    expected = (x1 - expected_mean[:, None, None]) * scale[:, None, None]
    expected += np.array([1.0, -1.0])[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, expected_mean)  # eval does not update


def test_batchnorm_buffers_are_not_parameters():
    bn = BatchNorm2d(16)
    assert set(bn.params) == {"weight", "bias"} and bn.count_params() == 32
    assert bn.running_mean.shape == bn.running_var.shape == (16,)


def test_dropout_eval_is_identity():
    x = np.random.default_rng(10).standard_normal((2, 3, 4, 4))
    layer = Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_dropout_train_mask_scaled_by_inverse_keep_probability():
    p = 0.3
    layer = Dropout(p, rng=0)
    x = np.ones((1000, 100))
    out = layer(x)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / (1 - p))
    assert abs(kept.mean() - (1 - p)) < 0.01
    assert abs(out.mean() - 1) < 0.02  # inverted dropout keeps the expectation
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)), 2.0 * out)


def test_dropout_gradients_with_fixed_mask():
    layer = Dropout(0.5)

    def same_mask():
        layer.rng = np.random.default_rng(11)

    assert_gradients(layer, np.random.default_rng(12).standard_normal((2, 3, 4, 4)), same_mask)


def test_dropout_edge_probabilities():
    x = np.ones((2, 5))
    np.testing.assert_array_equal(Dropout(0.0)(x), x)
    np.testing.assert_array_equal(Dropout(1.0)(x), np.zeros_like(x))


def test_local_response_norm_gradients_and_pytorch_formula():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 6, 3, 3)) * 3
    lrn = LocalResponseNorm(size=3, alpha=0.1, beta=0.75, k=2.0)
    out = lrn(x)
    sq = np.pad(x**2, ((0, 0), (1, 1), (0, 0), (0, 0)))
    window = sq[:, :-2] + sq[:, 1:-1] + sq[:, 2:]
    np.testing.assert_allclose(out, x / (2.0 + 0.1 / 3 * window) ** 0.75, rtol=1e-12)
    assert_gradients(lrn, x)
    assert_gradients(LocalResponseNorm(size=4, alpha=0.2), x)  # asymmetric window


def test_softmax_cross_entropy_gradients_match_numerical():
    rng = np.random.default_rng(14)
    logits = rng.standard_normal((4, 5)) * 3
    labels = np.array([0, 4, 2, 2])
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(logits, labels)
    analytic = loss_fn.backward()
    numeric = numerical_gradient(lambda: loss_fn(logits, labels), logits)
    assert rel_error(analytic, numeric) < GRAD_TOL


def test_softmax_cross_entropy_hand_values_and_large_logits():
    loss_fn = SoftmaxCrossEntropy()
    assert loss_fn(np.zeros((3, 4)), np.array([0, 1, 3])) == pytest.approx(np.log(4))
    big = np.array([[1000.0, 0.0, -1000.0], [1e4, 1e4, 0.0]])
    loss = loss_fn(big, np.array([1, 0]))
    assert loss == pytest.approx((1000.0 + np.log(2)) / 2)
    dlogits = loss_fn.backward()
    assert np.all(np.isfinite(dlogits))
    np.testing.assert_allclose(dlogits, [[0.5, -0.5, 0.0], [-0.25, 0.25, 0.0]], atol=1e-12)
    np.testing.assert_allclose(softmax(big), [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], atol=1e-12)
    assert softmax(np.float32([[1e4, 0.0]])).dtype == np.float32


# ----------------------------------------------------------------------------
# blocks
# ----------------------------------------------------------------------------
def test_sequential_gradients_match_numerical():
    rng = np.random.default_rng(15)
    net = Sequential(
        Conv2D(2, 3, 3, padding=1, bias=False, dtype=F64, rng=rng),  # BN would cancel a bias
        BatchNorm2d(3, dtype=F64),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dense(12, 4, dtype=F64, rng=rng),
    )
    randomize(net, rng)
    assert_gradients(net, rng.standard_normal((3, 2, 4, 4)))


def test_sequential_container_protocol():
    relu, pool = ReLU(), MaxPool2D(2)
    net = Sequential(relu)
    assert net.append(pool) is net
    assert len(net) == 2 and net[0] is relu and net[-1] is pool
    assert list(net) == [relu, pool] == net.children()
    assert isinstance(net[:1], Sequential) and len(net[:1]) == 1
    x = np.ones((1, 1, 4, 4))
    assert Sequential()(x) is x


@pytest.mark.parametrize("cin, cout, stride", [(3, 3, 1), (3, 4, 1), (3, 4, 2)])
def test_residual_block_gradients_match_numerical(cin, cout, stride):
    rng = np.random.default_rng(16)
    block = ResidualBlock(cin, cout, stride, dtype=F64, rng=rng)
    assert (block.shortcut is None) == (cin == cout and stride == 1)
    randomize(block, rng)
    assert_gradients(block, rng.standard_normal((2, cin, 5, 5)))


def test_residual_block_identity_shortcut_adds_input():
    """With the main path's last BN scaled to zero, the block is relu(x)."""
    block = ResidualBlock(2, 2, dtype=F64)
    block.main[-1].params["weight"][:] = 0
    x = np.random.default_rng(17).standard_normal((2, 2, 4, 4))
    np.testing.assert_allclose(block(x), np.maximum(x, 0))


@pytest.mark.parametrize("cin, mid, stride", [(8, 2, 1), (4, 2, 2)])
def test_bottleneck_gradients_match_numerical(cin, mid, stride):
    rng = np.random.default_rng(18)
    block = Bottleneck(cin, mid, stride, dtype=F64, rng=rng)
    assert (block.shortcut is None) == (cin == 4 * mid and stride == 1)
    randomize(block, rng)
    x = rng.standard_normal((2, cin, 4, 4))
    assert block(x).shape == (2, 4 * mid, 4 // stride, 4 // stride)
    assert_gradients(block, x)


def test_inception_gradients_and_output_channels():
    rng = np.random.default_rng(19)
    block = Inception(3, 2, 2, 3, 1, 2, 2, dtype=F64, rng=rng)
    randomize(block, rng)
    x = distinct_values(rng, (2, 3, 4, 4))
    assert block(x).shape == (2, 2 + 3 + 2 + 2, 4, 4)
    assert block.output_shape((3, 4, 4)) == (9, 4, 4)
    assert_gradients(block, x)


# ----------------------------------------------------------------------------
# output_shape, macs, count_params, parameters, modes, dtypes
# ----------------------------------------------------------------------------
SHAPE_CASES = [
    # layer, input shape (C, H, W), hand-computed multiply-adds for one sample
    (Conv2D(3, 8, (3, 5), stride=2, padding=(1, 2)), (3, 11, 13), 8 * 6 * 7 * 3 * 3 * 5),
    (Conv2D(4, 6, 3, groups=2), (4, 5, 5), 6 * 3 * 3 * 2 * 3 * 3),
    (MaxPool2D(3, stride=2, padding=1), (4, 7, 7), 0),
    (AvgPool2D(2), (4, 7, 7), 0),
    (BatchNorm2d(4), (4, 3, 3), 0),
    (GlobalAvgPool(), (5, 3, 3), 0),
    (Flatten(), (2, 3, 4), 0),
    (Dense(10, 5), (10,), 50),
    (ResidualBlock(4, 8, 2), (4, 8, 8), 8 * 16 * 4 * 9 + 8 * 16 * 8 * 9 + 8 * 16 * 4),
    (ResidualBlock(4, 4), (4, 6, 6), 2 * 4 * 36 * 4 * 9),
    (Bottleneck(8, 2, 2), (8, 4, 4), 2 * 16 * 8 + 2 * 4 * 2 * 9 + 8 * 4 * 2 + 8 * 4 * 8),
    (
        Inception(3, 2, 2, 3, 1, 2, 2),
        (3, 5, 5),
        25 * (2 * 3 + 2 * 3 + 3 * 2 * 9 + 1 * 3 + 2 * 1 * 25 + 2 * 3),
    ),
    (
        Sequential(Conv2D(3, 4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(64, 2)),
        (3, 10, 10),
        4 * 8 * 8 * 3 * 9 + 64 * 2,
    ),
]


@pytest.mark.parametrize("layer, shape, macs", SHAPE_CASES, ids=lambda v: type(v).__name__)
def test_output_shape_matches_forward_and_macs_match_hand_count(layer, shape, macs):
    x = np.random.default_rng(20).standard_normal((2, *shape)).astype(np.float32)
    assert layer.output_shape(shape) == layer(x).shape[1:]
    assert layer.macs(shape) == macs


def test_count_params_known_blocks():
    assert Conv2D(3, 64, 3).count_params() == 64 * 27 + 64
    assert Conv2D(96, 256, 5, groups=2).count_params() == 256 * 48 * 25 + 256  # AlexNet conv2
    assert ResidualBlock(64, 64).count_params() == 73_984  # ResNet-18 layer1 block
    assert Bottleneck(256, 64).count_params() == 70_400  # ResNet-50 layer1 block
    inception_3a = 192 * 64 + 192 * 96 + 96 * 128 * 9 + 192 * 16 + 16 * 32 * 25 + 192 * 32
    inception_3a += 64 + 96 + 128 + 16 + 32 + 32  # biases
    assert Inception(192, 64, 96, 128, 16, 32, 32).count_params() == inception_3a


def test_parameters_are_shared_and_grads_overwritten_in_place():
    rng = np.random.default_rng(21)
    layer = Dense(3, 2, dtype=F64, rng=rng)
    (weight, dweight), (bias, dbias) = layer.parameters()
    assert weight is layer.params["weight"] and dweight is layer.grads["weight"]
    x, dout = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer(x)
    layer.backward(dout)
    first = dweight.copy()
    layer(x)
    layer.backward(dout)
    np.testing.assert_array_equal(dweight, first)  # overwritten, not accumulated
    np.testing.assert_allclose(dweight, dout.T @ x)


def test_train_and_eval_are_recursive():
    net = Sequential(ResidualBlock(2, 2), Dropout(), Inception(2, 1, 1, 1, 1, 1, 1))
    layers = []

    def walk(layer):
        layers.append(layer)
        for child in layer.children():
            walk(child)

    walk(net)
    assert len(layers) > 10
    assert net.eval() is net and not any(layer.training for layer in layers)
    assert all(layer.training for layer in (net.train(), *layers))


def test_default_init_is_seeded_and_he_scaled():
    a, b = Conv2D(16, 32, 3), Conv2D(16, 32, 3)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    bound = np.sqrt(6 / (16 * 9))
    w = a.params["weight"]
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert not np.array_equal(w, Conv2D(16, 32, 3, rng=1).params["weight"])


FLOAT32_LAYERS = [
    Conv2D(3, 16, 3, padding=1),
    Conv2D(4, 16, 3, groups=2),
    ReLU(),
    MaxPool2D(2),
    AvgPool2D(2),
    BatchNorm2d(3),
    BatchNorm2d(3).eval(),
    Dropout(0.5),
    LocalResponseNorm(),
    GlobalAvgPool(),
    Flatten(),
    ResidualBlock(3, 8, 2),
    Inception(3, 2, 2, 2, 2, 2, 2),
]


@pytest.mark.parametrize("layer", FLOAT32_LAYERS, ids=lambda layer: type(layer).__name__)
def test_float32_stays_float32(layer):
    channels = 4 if getattr(layer, "groups", 1) == 2 else 3
    x = np.random.default_rng(22).standard_normal((2, channels, 6, 6)).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.dtype == g.dtype == np.float32 for p, g in layer.parameters())


def test_dense_and_loss_float32():
    layer = Dense(5, 3)
    out = layer(np.ones((2, 5), dtype=np.float32))
    loss_fn = SoftmaxCrossEntropy()
    assert isinstance(loss_fn(out, [0, 2]), float)
    dlogits = loss_fn.backward()
    assert out.dtype == dlogits.dtype == layer.backward(dlogits).dtype == np.float32


def test_repr_shows_structure():
    text = repr(ResidualBlock(2, 4, 2))
    assert "(conv1): Conv2D(2, 4, kernel_size=(3, 3), stride=(2, 2)" in text
    assert "(shortcut): Sequential(" in text


# ----------------------------------------------------------------------------
# errors a student will meet
# ----------------------------------------------------------------------------
def named(layer, name):
    layer.name = name
    return layer


ERROR_CASES = [
    # callable, exception, pattern
    (
        lambda: named(Conv2D(3, 8, 3), "conv1")(np.zeros((8, 1, 32, 32))),
        ValueError,
        r"Conv2D\(conv1\): expected input with 3 channels \(N, 3, H, W\), "
        r"got shape \(8, 1, 32, 32\)",
    ),
    (
        lambda: Conv2D(3, 8, 3)(np.zeros((3, 32, 32))),
        ValueError,
        r"Conv2D: argument 'x' must have 4 dimensions \(N, C, H, W\).*x\[None\]",
    ),
    (
        lambda: Conv2D(3, 8, 5)(np.zeros((1, 3, 3, 3))),
        ValueError,
        r"Conv2D: kernel_size=5 does not fit input size 3 along the rows \(H\).*padding >= 1",
    ),
    (lambda: Conv2D(3, 8, 3, groups=2), ValueError, r"Conv2D: argument 'groups' must divide"),
    (lambda: Conv2D(3, 8, 0), ValueError, r"Conv2D: argument 'kernel_size' must be >= 1"),
    (lambda: Conv2D(3.0, 8, 3), TypeError, r"Conv2D: argument 'in_channels' must be an integer"),
    (lambda: Conv2D(3, 8, 3, dtype=np.int32), TypeError, r"Conv2D: argument 'dtype'"),
    (lambda: Dense(3, 2, rng="seed"), TypeError, r"Dense: argument 'rng'.*default_rng"),
    (
        lambda: named(Dense(4096, 10), "fc")(np.zeros((2, 512, 1, 1))),
        ValueError,
        r"Dense\(fc\): expected input of shape \(N, 4096\), got shape \(2, 512, 1, 1\).*Flatten",
    ),
    (
        lambda: Dense(8, 2)(np.zeros((2, 6))),
        ValueError,
        r"Dense: expected input of shape \(N, 8\).*in_features=6",
    ),
    (
        lambda: BatchNorm2d(4)(np.zeros((2, 3, 5, 5))),
        ValueError,
        r"BatchNorm2d: expected input with 4 channels",
    ),
    (
        lambda: BatchNorm2d(3)(np.zeros((1, 3, 1, 1))),
        ValueError,
        r"BatchNorm2d: training mode needs more than one value per channel.*eval\(\)",
    ),
    (lambda: BatchNorm2d(3, momentum=2), ValueError, r"BatchNorm2d: argument 'momentum'"),
    (lambda: Dropout(1.5), ValueError, r"Dropout: argument 'p' must be a probability in \[0, 1\]"),
    (
        lambda: MaxPool2D(2, padding=2),
        ValueError,
        r"MaxPool2D: argument 'padding' must be at most half the window",
    ),
    (lambda: ReLU().backward(np.ones(3)), RuntimeError, r"ReLU: backward called before forward"),
    (
        lambda: (lambda r: (r(np.ones((2, 3))), r.backward(np.ones((3, 2)))))(ReLU()),
        ValueError,
        r"ReLU: argument 'dout' must have the shape of the last forward output \(2, 3\)",
    ),
    (lambda: ReLU()(np.ones(3, dtype=complex)), TypeError, r"ReLU: argument 'x' has complex"),
    (
        lambda: Sequential(Conv2D(1, 2, 3), ReLU),
        TypeError,
        r"Sequential: every element must be a Layer.*ReLU\(\.\.\.\) rather than ReLU",
    ),
    (
        lambda: Conv2D(3, 8, 3).output_shape((8, 3, 32, 32)),
        ValueError,
        r"Conv2D: argument 'input_shape' must be 3 positive ints \(C, H, W\).*no batch axis",
    ),
    (
        lambda: SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0])),
        TypeError,
        r"SoftmaxCrossEntropy: argument 'labels' must hold integer class indices",
    ),
    (
        lambda: SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0, 3])),
        ValueError,
        r"SoftmaxCrossEntropy: argument 'labels' must be in \[0, 2\] for 3 classes",
    ),
    (
        lambda: SoftmaxCrossEntropy()(np.zeros((2, 3)), np.eye(3)[[0, 1]].astype(int)),
        ValueError,
        r"one-hot.*argmax",
    ),
    (
        lambda: SoftmaxCrossEntropy().backward(),
        RuntimeError,
        r"SoftmaxCrossEntropy: backward called before forward",
    ),
]


@pytest.mark.parametrize("call, exc, pattern", ERROR_CASES)
def test_bad_input_raises_clear_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_error_in_a_block_names_the_inner_layer():
    block = ResidualBlock(3, 8)
    with pytest.raises(ValueError, match=r"Conv2D\(conv1\): expected input with 3 channels"):
        block(np.zeros((1, 4, 8, 8)))


def test_layer_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        Layer()(np.zeros(3))


# ----------------------------------------------------------------------------
# against PyTorch, when it is installed
# ----------------------------------------------------------------------------
def _torch():
    return pytest.importorskip("torch", reason="PyTorch not installed: comparison skipped")


def test_conv2d_matches_torch_forward_and_backward():
    torch = _torch()
    rng = np.random.default_rng(30)
    layer = Conv2D(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), groups=2, dtype=F64, rng=rng)
    randomize(layer, rng)
    x = rng.standard_normal((2, 4, 7, 6))
    out = layer(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(layer.params["weight"], requires_grad=True)
    tb = torch.tensor(layer.params["bias"], requires_grad=True)
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride=(2, 1), padding=(1, 2), groups=2)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_batchnorm_matches_torch_train_and_eval():
    torch = _torch()
    rng = np.random.default_rng(31)
    bn = BatchNorm2d(3, momentum=0.2, dtype=F64)
    randomize(bn, rng)
    tbn = torch.nn.BatchNorm2d(3, momentum=0.2).double()
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor(bn.params["weight"]))
        tbn.bias.copy_(torch.tensor(bn.params["bias"]))
    for mode in ("train", "eval"):
        getattr(bn, mode)()
        getattr(tbn, mode)()
        x = rng.standard_normal((4, 3, 5, 5)) * 2 + 1
        dout = rng.standard_normal(x.shape)
        out = bn(x)
        dx = bn.backward(dout)
        tx = torch.tensor(x, requires_grad=True)
        tbn.weight.grad = tbn.bias.grad = None
        tout = tbn(tx)
        tout.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(bn.grads["weight"], tbn.weight.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(bn.grads["bias"], tbn.bias.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=1e-10)
        np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), rtol=1e-10)


def test_dense_matches_torch_linear():
    torch = _torch()
    rng = np.random.default_rng(32)
    layer = Dense(5, 3, dtype=F64, rng=rng)
    randomize(layer, rng)
    x, dout = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    out = layer(x)
    dx = layer.backward(dout)
    linear = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(layer.params["weight"]))
        linear.bias.copy_(torch.tensor(layer.params["bias"]))
    tx = torch.tensor(x, requires_grad=True)
    tout = linear(tx)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], linear.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], linear.bias.grad.numpy(), rtol=1e-12)


def test_maxpool_ties_and_lrn_match_torch():
    torch = _torch()
    x = np.array([[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0], [5, 3, -1, -1], [3, 5, -1, -1]])
    x = np.tile(x, (1, 2, 1, 1))
    pool = MaxPool2D(2)
    pool(x)
    dx = pool.backward(np.ones((1, 2, 2, 2)))
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(dx, tx.grad.numpy())

    rng = np.random.default_rng(33)
    x = rng.standard_normal((2, 7, 3, 3)) * 3
    lrn = LocalResponseNorm(size=4, alpha=0.3, beta=0.75, k=1.5)
    expected = torch.nn.LocalResponseNorm(4, alpha=0.3, beta=0.75, k=1.5)(torch.tensor(x))
    np.testing.assert_allclose(lrn(x), expected.numpy(), rtol=1e-12)
