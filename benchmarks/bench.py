"""Benchmark cnncourse against its peers, all measured in the same run.

Usage::

    python benchmarks/bench.py              # every workload, 7 repeats each
    python benchmarks/bench.py --repeat 3 --only conv2d
    python benchmarks/bench.py --json results.json

For each workload it prints the median time of cnncourse and of each peer
available: naive Python loops (``cnncourse.reference``, timed on a small
instance and extrapolated by the number of multiply-adds), NumPy
(``sliding_window_view`` + ``einsum``), ``scipy.signal.correlate`` (single-channel
cases) and PyTorch CPU (when installed). Whole-model rows (ResNet-18 inference,
one LeNet-5 training step) compare with the same model written in ``torch.nn``,
its weights copied from cnncourse's and its outputs checked to agree; without
PyTorch they show only cnncourse's time. Ratios are time(cnncourse) / time(peer):
below 1 means cnncourse is faster. The machine is shared and noisy, so read the
ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cnncourse as cc  # noqa: E402
from cnncourse import reference  # noqa: E402
from cnncourse._warmup import warmup  # noqa: E402
from cnncourse.architectures import lenet5, resnet18  # noqa: E402
from cnncourse.layers import SoftmaxCrossEntropy  # noqa: E402
from cnncourse.optim import SGD  # noqa: E402
from cnncourse.training import limit_threads  # noqa: E402

try:
    import scipy.signal as sps
except ImportError:  # pragma: no cover
    sps = None
try:
    import torch
    import torch.nn.functional as TF
    from torch import nn

    torch.set_grad_enabled(False)
except ImportError:  # pragma: no cover
    torch = None


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up (JIT, caches, allocator)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# ---------------------------------------------------------------------------
# peers
# ---------------------------------------------------------------------------
def np_conv2d(x, u, padding, stride):
    """(N, C, H, W) x (D, C, h, w) with sliding_window_view + einsum."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = sliding_window_view(x, u.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,dcij->ndhw", win, u, optimize=True)


def np_conv1d(x, u):
    return sliding_window_view(x, u.shape[0]) @ u


def np_pool(x, k, mode):
    win = sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::k, ::k]
    return win.max(axis=(-2, -1)) if mode == "max" else win.mean(axis=(-2, -1))


def np_conv2d_backward(dout, x, u, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = sliding_window_view(xp, u.shape[2:], axis=(2, 3))
    du = np.einsum("ndhw,nchwij->dcij", dout, win, optimize=True)
    h, w = u.shape[2:]
    dp = np.pad(dout, ((0, 0), (0, 0), (h - 1, h - 1), (w - 1, w - 1)))
    wd = sliding_window_view(dp, (h, w), axis=(2, 3))
    dxp = np.einsum("ndhwij,dcij->nchw", wd, u[:, :, ::-1, ::-1], optimize=True)
    return dxp[:, :, padding : dxp.shape[2] - padding, padding : dxp.shape[3] - padding], du


# ---------------------------------------------------------------------------
# whole models in torch.nn (torchvision is not a dependency): the same layers, in the
# same order, so that copy_weights can pair the parameters one by one
# ---------------------------------------------------------------------------
def torch_lenet5():
    """cnncourse.architectures.lenet5 in torch.nn: ReLU, average pooling, full C3."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


def torch_resnet18(num_classes=1000):
    """ResNet-18 as torchvision builds it (option B shortcuts, no conv bias before BN)."""

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = None
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            out = TF.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return TF.relu(out + (x if self.shortcut is None else self.shortcut(x)))

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]  # fmt: skip
    cin = 64
    for stage, width in enumerate((64, 128, 256, 512)):
        for i in range(2):
            layers.append(BasicBlock(cin, width, 2 if (i == 0 and stage > 0) else 1))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def copy_weights(ours, theirs) -> None:
    """Copy cnncourse's parameters into a torch model built with the same layer order."""
    pairs = list(zip([p for p, _ in ours.parameters()], theirs.parameters(), strict=True))
    with torch.no_grad():
        for mine, their in pairs:
            if tuple(mine.shape) != tuple(their.shape):
                raise ValueError(f"copy_weights: shape {mine.shape} != {tuple(their.shape)}")
            their.copy_(torch.from_numpy(mine))


@dataclass
class Workload:
    name: str
    ours: Callable[[], object]
    macs: float  # multiply-adds (or window reads for pooling), for extrapolating naive loops
    naive_small: Callable[[], object] | None = None
    naive_small_macs: float = 1.0
    peers: dict[str, Callable[[], object]] = field(default_factory=dict)
    target: tuple[str, float] | None = None  # (peer, max ratio)
    context: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext


def make_workloads(rng) -> list[Workload]:
    f32 = np.float32
    out = []

    # conv1d: length 1,000,000, kernel 9
    x1 = rng.standard_normal(1_000_000)
    u1 = rng.standard_normal(9)
    xs, us = rng.standard_normal(2000), u1
    w = Workload(
        "conv1d W=1e6 k=9 (f64)",
        lambda: cc.conv1d(x1, u1),
        macs=x1.size * 9,
        naive_small=lambda: reference.conv1d(xs, us),
        naive_small_macs=xs.size * 9,
        target=("torch", 0.2),
    )
    w.peers["numpy"] = lambda: np_conv1d(x1, u1)
    if sps:
        w.peers["scipy"] = lambda: sps.correlate(x1, u1, mode="valid", method="direct")
    if torch:
        tx, tu = torch.from_numpy(x1)[None, None], torch.from_numpy(u1)[None, None]
        w.peers["torch"] = lambda tx=tx, tu=tu: TF.conv1d(tx, tu)
    out.append(w)

    # conv2d single channel 512x512, 3x3 and 7x7
    img = rng.standard_normal((512, 512))
    small = rng.standard_normal((48, 48))
    for k in (3, 7):
        u = rng.standard_normal((k, k))
        w = Workload(
            f"conv2d 512x512 {k}x{k} (f64)",
            lambda u=u: cc.conv2d(img, u),
            macs=(512 - k + 1) ** 2 * k * k,
            naive_small=lambda u=u: reference.conv2d(small, u),
            naive_small_macs=(48 - k + 1) ** 2 * k * k,
            target=("torch", 0.2),
        )
        w.peers["numpy"] = lambda u=u: np.einsum(
            "hwij,ij->hw", sliding_window_view(img, u.shape), u, optimize=True
        )
        if sps:
            w.peers["scipy"] = lambda u=u: sps.correlate(img, u, mode="valid", method="direct")
        if torch:
            ti, tu = torch.from_numpy(img)[None, None], torch.from_numpy(u)[None, None]
            w.peers["torch"] = lambda ti=ti, tu=tu: TF.conv2d(ti, tu)
        out.append(w)

    # batched float32 convolutions
    batched = [
        ("CIFAR N=64 C=3 32x32 D=16 3x3 p1", (64, 3, 32, 32), (16, 3, 3, 3), 1, 1, 1.5),
        ("ResNet N=32 C=64 56x56 D=64 3x3 p1", (32, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1.5),
        ("LeNet N=64 C=1 28x28 D=6 5x5 p2", (64, 1, 28, 28), (6, 1, 5, 5), 2, 1, 1.5),
        ("stride2 N=32 C=64 56x56 D=128 3x3 p1 s2", (32, 64, 56, 56), (128, 64, 3, 3), 1, 2, 2.0),
    ]
    for name, xs_, us_, p, s, tgt in batched:
        x = rng.standard_normal(xs_).astype(f32)
        u = rng.standard_normal(us_).astype(f32)
        Ho = (xs_[2] + 2 * p - us_[2]) // s + 1
        Wo = (xs_[3] + 2 * p - us_[3]) // s + 1
        macs = xs_[0] * us_[0] * Ho * Wo * us_[1] * us_[2] * us_[3]
        xsmall = x[:1, :, :8, :8]
        Hs = (8 + 2 * p - us_[2]) // s + 1
        w = Workload(
            f"conv2d {name} (f32)",
            lambda x=x, u=u, p=p, s=s: cc.conv2d(x, u, padding=p, stride=s),
            macs=macs,
            naive_small=lambda xsmall=xsmall, u=u, p=p, s=s: reference.conv2d(xsmall, u, p, s),
            naive_small_macs=us_[0] * Hs * Hs * us_[1] * us_[2] * us_[3],
            target=("torch", tgt),
        )
        w.peers["numpy"] = lambda x=x, u=u, p=p, s=s: np_conv2d(x, u, p, s)
        if torch:
            tx, tu = torch.from_numpy(x), torch.from_numpy(u)
            w.peers["torch"] = lambda tx=tx, tu=tu, p=p, s=s: TF.conv2d(tx, tu, padding=p, stride=s)
        out.append(w)

    # pooling 2x2 on N=64 C=64 56x56
    xpool = rng.standard_normal((64, 64, 56, 56)).astype(f32)
    xps = xpool[:1, :4]
    for mode in ("max", "avg"):
        w = Workload(
            f"pool2d {mode} 2x2 N=64 C=64 56x56 (f32)",
            lambda mode=mode: cc.pool2d(xpool, 2, mode=mode),
            macs=xpool.size,
            naive_small=lambda mode=mode: reference.pool2d(xps, 2, mode=mode),
            naive_small_macs=xps.size,
            target=("torch", 0.5),
        )
        w.peers["numpy"] = lambda mode=mode: np_pool(xpool, 2, mode)
        if torch:
            tp = torch.from_numpy(xpool)
            fn = TF.max_pool2d if mode == "max" else TF.avg_pool2d
            w.peers["torch"] = lambda fn=fn, tp=tp: fn(tp, 2)
        out.append(w)

    # conv2d backward on the CIFAR shape
    x = rng.standard_normal((64, 3, 32, 32)).astype(f32)
    u = rng.standard_normal((16, 3, 3, 3)).astype(f32)
    dout = rng.standard_normal((64, 16, 32, 32)).astype(f32)
    xsm, dsm = x[:1, :, :8, :8], dout[:1, :, :8, :8]
    w = Workload(
        "conv2d_backward CIFAR N=64 C=3 32x32 D=16 3x3 p1 (f32)",
        lambda: cc.conv2d_backward(dout, x, u, padding=1),
        macs=2 * 64 * 16 * 32 * 32 * 27,
        naive_small=lambda: reference.conv2d_backward(dsm, xsm, u, padding=1),
        naive_small_macs=2 * 16 * 8 * 8 * 27,
        target=("torch", 2.0),
    )
    w.peers["numpy"] = lambda: np_conv2d_backward(dout, x, u, 1)
    if torch:
        tx = torch.from_numpy(x).requires_grad_(True)
        tu = torch.from_numpy(u).requires_grad_(True)
        td = torch.from_numpy(dout)

        def torch_backward():
            with torch.enable_grad():
                return torch.autograd.grad(TF.conv2d(tx, tu, padding=1), (tx, tu), td)

        w.peers["torch"] = torch_backward
    out.append(w)
    return out + model_workloads(rng)


def model_workloads(rng) -> list[Workload]:
    """Whole models: ResNet-18 inference and one LeNet-5 training step, against torch.nn."""
    f32 = np.float32
    out = []

    # ResNet-18 forward, eval mode (batch norm on running statistics), batch of 8
    net = resnet18(seed=0).eval()
    x = rng.standard_normal((8, 3, 224, 224)).astype(f32)
    w = Workload("model ResNet-18 forward N=8 3x224x224 (f32)", lambda: net(x), 8 * net.macs())
    if torch:
        tnet = torch_resnet18().eval()
        copy_weights(net, tnet)
        tx = torch.from_numpy(x)
        check_same(net(x), tnet(tx).numpy(), "ResNet-18")
        w.peers["torch"] = lambda: tnet(tx)
    out.append(w)

    # LeNet-5 training step: forward + loss + backward + SGD step, batch of 64
    lenet = lenet5(seed=0)
    xb = rng.random((64, 1, 32, 32), dtype=f32)
    yb = rng.integers(0, 10, 64)
    loss_fn = SoftmaxCrossEntropy()
    opt = SGD(lenet.parameters(), lr=0.01, momentum=0.9)

    def ours_step():
        loss_fn(lenet(xb), yb)
        lenet.backward(loss_fn.backward())
        opt.step()

    w = Workload(
        "model LeNet-5 train step N=64 1x32x32 (f32, 1 thread)",
        ours_step,
        macs=3 * 64 * lenet.macs(),  # backward costs about twice the forward
        context=lambda: limit_threads(1),  # as cnncourse.training.train runs it
    )
    if torch:
        tlenet = torch_lenet5()
        copy_weights(lenet, tlenet)
        check_same(lenet(xb), tlenet(torch.from_numpy(xb)).numpy(), "LeNet-5")
        topt = torch.optim.SGD(tlenet.parameters(), lr=0.01, momentum=0.9)
        txb, tyb = torch.from_numpy(xb), torch.from_numpy(yb)

        def torch_step():
            with torch.enable_grad():
                topt.zero_grad()
                TF.cross_entropy(tlenet(txb), tyb).backward()
                topt.step()

        w.peers["torch"] = torch_step
    out.append(w)
    return out


def check_same(ours, theirs, name) -> None:
    """Warn when the two models disagree: the ratio would compare different things."""
    scale = max(1.0, float(np.abs(theirs).max()))
    if not np.allclose(ours, theirs, rtol=1e-3, atol=1e-3 * scale):
        print(f"warning: {name}: cnncourse and torch.nn outputs differ; check the builders")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--only", default="", help="run workloads whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    warmup(verbose=False)
    rng = np.random.default_rng(0)
    rows = []
    peers_seen = ["naive", "numpy", "scipy", "torch"]
    if torch is None:
        print("note: PyTorch is not installed; its column is empty (pip install torch)")
    else:
        print(f"torch {torch.__version__} with {torch.get_num_threads()} threads")
    header = (
        f"{'workload':58s} {'cnncourse':>10s}"
        + "".join(f" {'/' + p:>10s}" for p in peers_seen)
        + f" {'target':>14s}"
    )
    print(header)
    print("-" * len(header))
    all_ok = True
    for w in make_workloads(rng):
        if args.only not in w.name:
            continue
        with w.context():
            ours = median_time(w.ours, args.repeat)
        ratios = {}
        if w.naive_small is not None:
            small = median_time(w.naive_small, 1)
            ratios["naive"] = ours / (small * w.macs / w.naive_small_macs)
        for peer, fn in w.peers.items():
            ratios[peer] = ours / median_time(fn, args.repeat)
        line = f"{w.name:58s} {ours * 1e3:8.2f}ms"
        for p in peers_seen:
            line += f" {ratios[p]:10.3g}" if p in ratios else f" {'-':>10s}"
        verdict = ""
        if w.target and w.target[0] in ratios:
            ok = ratios[w.target[0]] <= w.target[1]
            all_ok &= ok
            verdict = f"{'ok' if ok else 'MISS'} <= {w.target[1]}"
        naive_ok = ratios.get("naive", 0) <= 1e-3
        all_ok &= naive_ok
        if not naive_ok:
            verdict += " naive<1000x"
        print(line + f" {verdict:>14s}")
        rows.append({"workload": w.name, "seconds": ours, "ratios": ratios, "target": w.target})
    print("\nratio = time(cnncourse) / time(peer): below 1 means cnncourse is faster.")
    print("naive = reference loops timed on a small instance, extrapolated by multiply-adds.")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
