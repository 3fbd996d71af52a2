"""Training-step probes: one shared definition of three small models (standard library only).

Each framework module (``_train_torch.py``, ``_train_tensorflow.py``, ``_train_jax.py``,
``_train_mxnet.py``) builds the same three ops from this module, so that every framework trains
the same network, from the same initial weights, on the same batch:

* ``train_cnn``: a small residual CNN on 32x32 images;
* ``train_lstm``: a 2-layer LSTM language model;
* ``train_transformer``: one pre-LayerNorm encoder block (multi-head attention + MLP).

One op call is ONE training step: forward, loss (mean softmax cross-entropy), backward and a
plain SGD update (``LR``, no momentum, no weight decay), always on the same batch. The step
returns the loss of its forward pass, i.e. the loss *before* its own update.

This module imports nothing but the standard library when it is imported (the probes' rule: each
framework lives in its own interpreter with its own numpy). Every function that needs numpy takes
the numpy module ``np`` as a parameter.

Canonical layouts (what ``init_weights`` returns; each framework module converts them):

* images NCHW, conv kernels OIHW (out, in, kh, kw), "same" padding 1, stride 1;
* dense kernels (in, out), ``y = x @ W + b``;
* LSTM: per layer ``W_ih`` (4H, in), ``W_hh`` (4H, H), gate blocks in the order i, f, g, o
  (input, forget, cell candidate, output; sigmoid, sigmoid, tanh, sigmoid), like torch;
  NO bias: torch, cuDNN and MXNet have two bias vectors per layer where Keras has one, and
  under SGD two zero-initialised vectors whose sum is used move twice as fast as one, so the
  same "zero bias" would train differently. Without biases every framework trains the same
  model (torch ``bias=False``, MXNet's biases frozen at zero, Keras one bias frozen at zero:
  its cuDNN path needs ``use_bias=True``);
* attention: ``Wq``, ``Wk``, ``Wv``, ``Wo`` (D, D) each in (in, out) layout; head ``h`` uses
  output columns ``h*hd:(h+1)*hd`` of ``Wq``/``Wk``/``Wv`` and input rows ``h*hd:(h+1)*hd`` of
  ``Wo`` (hd = D / heads), scores scaled by 1/sqrt(hd);
* layer norm: gamma (D,) ones, beta (D,) zeros, eps 1e-5, biased variance.

All weights and inputs are float32. Random draws come from ``np.random.default_rng(SEED)``
(weights) and ``np.random.default_rng(SEED + 1)`` (the batch), drawn in float64 with
``standard_normal`` / ``integers`` in the order the functions below list them, then cast; those
streams are the same in numpy 1.17 through 2.x, so the probes' different numpy versions get
the same numbers. All biases (conv, dense, attention, MLP) start at zero.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SEED = 20240607
LR = 0.01
# Relative error of a float32 step's loss0 against the float64 reference that counts as correct.
FP32_TOLERANCE = 1e-4

MODELS = ("cnn", "lstm", "transformer")
OP_NAMES = {model: f"train_{model}" for model in MODELS}
COMPILED_SUFFIX = "_compiled"

# What the probes without a training step report (one line each, for a note or the docs).
UNSUPPORTED = {
    "numba": "no training ops: Numba has no automatic differentiation, so a training step "
    "would need every backward pass written by hand",
    "pytensor": "training ops not implemented: PyTensor has symbolic gradients (pytensor.grad) "
    "and could run these steps, but dlselect's probe does not build them yet",
}
NUMBA_UNSUPPORTED = UNSUPPORTED["numba"]
PYTENSOR_UNSUPPORTED = UNSUPPORTED["pytensor"]


@dataclass(frozen=True)
class CnnShape:
    """stem conv3x3 C->F + ReLU; residual block (conv3x3 F->F, ReLU, conv3x3 F->F, + skip, ReLU);
    global average pool; dense F->classes."""

    batch: int = 32
    channels: int = 3
    size: int = 32
    filters: int = 16
    classes: int = 10


@dataclass(frozen=True)
class LstmShape:
    """embedding vocab->E; two LSTM layers of H (no bias); dense H->vocab on every position."""

    batch: int = 16
    seq: int = 32
    vocab: int = 64
    embed: int = 32
    hidden: int = 64
    layers: int = 2


@dataclass(frozen=True)
class TransformerShape:
    """x + MHA(LN1(x)); then + MLP(LN2(.)) (D->M->D, ReLU); mean over T; dense D->classes."""

    batch: int = 16
    seq: int = 32
    dim: int = 64
    heads: int = 4
    mlp: int = 128
    classes: int = 10
    eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads


CNN = CnnShape()
LSTM = LstmShape()
TRANSFORMER = TransformerShape()
SHAPES: dict[str, Any] = {"cnn": CNN, "lstm": LSTM, "transformer": TRANSFORMER}


def examples(model: str) -> int:
    """Training examples per step (the batch size): samples_per_s = examples / median_s."""
    return int(SHAPES[model].batch)


def params(model: str, layout: str) -> dict[str, Any]:
    """The op's ``params`` for the JSON document: every size, the layout and the optimizer."""
    sizes = dataclasses.asdict(SHAPES[model])
    return {"model": model, **sizes, "layout": layout, "optimizer": f"SGD lr={LR}", "seed": SEED}


def compiled_rows_wanted(budget: Any, device: str) -> bool:
    """torch.compile rows are registered only for ``--budget full`` or on a GPU: compiling the
    three steps takes tens of seconds on a 2-core CPU, too long for a quick probe."""
    return getattr(budget, "name", budget) == "full" or device == "gpu"


# --------------------------------------------------------------------------- weights and data


def _normal(np: Any, rng: Any, shape: tuple[int, ...], std: float) -> Any:
    return (rng.standard_normal(shape) * std).astype(np.float32)


def _he(np: Any, rng: Any, shape: tuple[int, ...], fan_in: int) -> Any:
    return _normal(np, rng, shape, math.sqrt(2.0 / fan_in))


def _glorot(np: Any, rng: Any, shape: tuple[int, ...], fan_in: int, fan_out: int) -> Any:
    return _normal(np, rng, shape, math.sqrt(2.0 / (fan_in + fan_out)))


def _zeros(np: Any, *shape: int) -> Any:
    return np.zeros(shape, dtype=np.float32)


def init_weights(np: Any, model: str) -> dict[str, Any]:
    """The initial weights of ``model`` in the canonical layouts (float32 arrays), drawn from
    ``default_rng(SEED)`` in the order of the dict's keys (zeros and ones are not drawn).

    cnn: conv kernels He normal (std sqrt(2 / (in*3*3))), dense Glorot normal.
    lstm: embedding N(0, 1); W_ih and W_hh N(0, 1/H) (std 1/sqrt(H)); output dense Glorot.
    transformer: Wq, Wk, Wv, Wo, W1, W2, Wc Glorot normal.
    """
    rng = np.random.default_rng(SEED)
    if model == "cnn":
        s = CNN
        f, c = s.filters, s.channels
        return {
            "conv0_w": _he(np, rng, (f, c, 3, 3), c * 9),
            "conv0_b": _zeros(np, f),
            "conv1_w": _he(np, rng, (f, f, 3, 3), f * 9),
            "conv1_b": _zeros(np, f),
            "conv2_w": _he(np, rng, (f, f, 3, 3), f * 9),
            "conv2_b": _zeros(np, f),
            "dense_w": _glorot(np, rng, (f, s.classes), f, s.classes),
            "dense_b": _zeros(np, s.classes),
        }
    if model == "lstm":
        s = LSTM
        hid = s.hidden
        weights = {"embed": _normal(np, rng, (s.vocab, s.embed), 1.0)}
        for layer in range(s.layers):
            inputs = s.embed if layer == 0 else hid
            weights[f"lstm{layer}_w_ih"] = _normal(np, rng, (4 * hid, inputs), 1 / math.sqrt(hid))
            weights[f"lstm{layer}_w_hh"] = _normal(np, rng, (4 * hid, hid), 1 / math.sqrt(hid))
        weights["dense_w"] = _glorot(np, rng, (hid, s.vocab), hid, s.vocab)
        weights["dense_b"] = _zeros(np, s.vocab)
        return weights
    if model == "transformer":
        s = TRANSFORMER
        d, m = s.dim, s.mlp
        weights = {"ln1_g": np.ones(d, dtype=np.float32), "ln1_b": _zeros(np, d)}
        for name in ("q", "k", "v", "o"):
            weights[f"w{name}"] = _glorot(np, rng, (d, d), d, d)
            weights[f"b{name}"] = _zeros(np, d)
        weights["ln2_g"] = np.ones(d, dtype=np.float32)
        weights["ln2_b"] = _zeros(np, d)
        weights["mlp1_w"] = _glorot(np, rng, (d, m), d, m)
        weights["mlp1_b"] = _zeros(np, m)
        weights["mlp2_w"] = _glorot(np, rng, (m, d), m, d)
        weights["mlp2_b"] = _zeros(np, d)
        weights["dense_w"] = _glorot(np, rng, (d, s.classes), d, s.classes)
        weights["dense_b"] = _zeros(np, s.classes)
        return weights
    raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")


def batch(np: Any, model: str) -> tuple[Any, Any]:
    """``(inputs, labels)`` from ``default_rng(SEED + 1)``: inputs first, then labels.

    cnn: images (B, 3, 32, 32) float32 N(0, 1), NCHW; labels (B,) int32 in [0, 10).
    lstm: tokens (B, T + 1) int32 in [0, vocab); inputs tokens[:, :-1], labels tokens[:, 1:]
    (next-token prediction; both (B, T), batch-major).
    transformer: vectors (B, T, D) float32 N(0, 1); labels (B,) int32 in [0, 10).
    """
    rng = np.random.default_rng(SEED + 1)
    if model == "cnn":
        s = CNN
        x = rng.standard_normal((s.batch, s.channels, s.size, s.size)).astype(np.float32)
        return x, rng.integers(0, s.classes, size=s.batch).astype(np.int32)
    if model == "lstm":
        s = LSTM
        tokens = rng.integers(0, s.vocab, size=(s.batch, s.seq + 1)).astype(np.int32)
        return tokens[:, :-1].copy(), tokens[:, 1:].copy()
    if model == "transformer":
        s = TRANSFORMER
        x = rng.standard_normal((s.batch, s.seq, s.dim)).astype(np.float32)
        return x, rng.integers(0, s.classes, size=s.batch).astype(np.int32)
    raise ValueError(f"unknown model {model!r}; known: {', '.join(MODELS)}")


# --------------------------------------------------------------------------- float64 reference


def _cross_entropy(np: Any, logits: Any, labels: Any) -> float:
    """Mean softmax cross-entropy over every row of ``logits`` (..., classes)."""
    flat = logits.reshape(-1, logits.shape[-1])
    top = flat.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(flat - top).sum(axis=1)) + top[:, 0]
    picked = flat[np.arange(flat.shape[0]), labels.reshape(-1)]
    return float(np.mean(log_z - picked))


def _conv3x3(np: Any, x: Any, w: Any, b: Any) -> Any:
    """NCHW x OIHW, stride 1, pad 1, by im2col: one GEMM over (N*H*W, C*9)."""
    n, c, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    taps = [padded[:, :, i : i + height, j : j + width] for i in range(3) for j in range(3)]
    cols = np.stack(taps, axis=2)  # (N, C, 9, H, W), tap index = i*3 + j as in w[o, c, i, j]
    cols = cols.transpose(0, 3, 4, 1, 2).reshape(n * height * width, c * 9)
    out = cols @ w.reshape(w.shape[0], c * 9).T + b
    return out.reshape(n, height, width, -1).transpose(0, 3, 1, 2)


def _sigmoid(np: Any, z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))


def _layer_norm(np: Any, x: Any, gamma: Any, beta: Any, eps: float) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _forward_cnn(np: Any, w: dict[str, Any], x: Any) -> Any:
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    stem = relu(_conv3x3(np, x, w["conv0_w"], w["conv0_b"]))
    inner = relu(_conv3x3(np, stem, w["conv1_w"], w["conv1_b"]))
    block = relu(_conv3x3(np, inner, w["conv2_w"], w["conv2_b"]) + stem)
    pooled = block.mean(axis=(2, 3))
    return pooled @ w["dense_w"] + w["dense_b"]


def _forward_lstm(np: Any, w: dict[str, Any], tokens: Any) -> Any:
    s = LSTM
    seq = w["embed"][tokens]  # (B, T, E)
    for layer in range(s.layers):
        w_ih, w_hh = w[f"lstm{layer}_w_ih"], w[f"lstm{layer}_w_hh"]
        h = np.zeros((seq.shape[0], s.hidden))
        c = np.zeros((seq.shape[0], s.hidden))
        outputs = []
        for t in range(seq.shape[1]):
            z = seq[:, t] @ w_ih.T + h @ w_hh.T  # no bias (see the module docstring)
            i, f, g, o = np.split(z, 4, axis=1)
            c = _sigmoid(np, f) * c + _sigmoid(np, i) * np.tanh(g)
            h = _sigmoid(np, o) * np.tanh(c)
            outputs.append(h)
        seq = np.stack(outputs, axis=1)
    return seq @ w["dense_w"] + w["dense_b"]  # (B, T, vocab)


def _forward_transformer(np: Any, w: dict[str, Any], x: Any) -> Any:
    s = TRANSFORMER
    b, t, d, heads, hd = x.shape[0], x.shape[1], s.dim, s.heads, s.head_dim

    def split_heads(v: Any) -> Any:  # (B, T, D) -> (B, heads, T, hd)
        return v.reshape(b, t, heads, hd).transpose(0, 2, 1, 3)

    a = _layer_norm(np, x, w["ln1_g"], w["ln1_b"], s.eps)
    q = split_heads(a @ w["wq"] + w["bq"])
    k = split_heads(a @ w["wk"] + w["bk"])
    v = split_heads(a @ w["wv"] + w["bv"])
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)  # (B, heads, T, T)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = scores / scores.sum(axis=-1, keepdims=True)
    context = (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
    y = x + context @ w["wo"] + w["bo"]
    normed = _layer_norm(np, y, w["ln2_g"], w["ln2_b"], s.eps)
    hidden = np.maximum(normed @ w["mlp1_w"] + w["mlp1_b"], 0.0)
    z = y + hidden @ w["mlp2_w"] + w["mlp2_b"]
    return z.mean(axis=1) @ w["dense_w"] + w["dense_b"]


_FORWARD = {"cnn": _forward_cnn, "lstm": _forward_lstm, "transformer": _forward_transformer}
_REFERENCE_CACHE: dict[tuple[int, str], float] = {}


def reference_loss0(np: Any, model: str) -> float:
    """The loss of the first step, computed in float64 numpy from the float32 weights and batch
    (conv by im2col, LSTM cells and attention written out). Cached per numpy module and model."""
    key = (id(np), model)
    if key not in _REFERENCE_CACHE:
        weights = {
            name: value.astype(np.float64) for name, value in init_weights(np, model).items()
        }
        inputs, labels = batch(np, model)
        if inputs.dtype.kind == "f":
            inputs = inputs.astype(np.float64)
        logits = _FORWARD[model](np, weights, inputs)
        _REFERENCE_CACHE[key] = _cross_entropy(np, logits, labels)
    return _REFERENCE_CACHE[key]


def relative_error(value: float, reference: float) -> float:
    return abs(value - reference) / abs(reference)


# --------------------------------------------------------------------------- op specs


class TrainingStep:
    """The op's ``fn``: one training step per call, returning that step's loss (a framework
    scalar, left on the device). Remembers the first call's loss for ``loss0``/``check``.

    ``to_float`` turns a returned loss into a Python float (it waits for the device); it is
    only used after the timing, by ``loss0`` and by the tests.
    """

    def __init__(self, step: Callable[[], Any], to_float: Callable[[Any], float]) -> None:
        self.step = step
        self.to_float = to_float
        self.first: Any = None

    def __call__(self) -> Any:
        loss = self.step()
        if self.first is None:
            self.first = loss
        return loss

    def loss0(self) -> float:
        if self.first is None:
            raise RuntimeError("loss0 asked for before the first training step")
        return float(self.to_float(self.first))


def op_spec(h: Any, **fields: Any) -> Any:
    """``h.OpSpec(**fields)``, passing only the fields this harness's OpSpec has.

    The optional fields (``examples``, ``loss0``, ``precision``, ``check``) are dropped by a
    harness that predates them. ``flops=None`` is passed on where the field accepts None (or has
    a default); an older harness that requires an int gets 0 (its gflops then reads 0).
    """
    known = {f.name: f for f in dataclasses.fields(h.OpSpec)}
    kept = {name: value for name, value in fields.items() if name in known}
    flops = known.get("flops")
    if flops is not None and kept.get("flops") is None:
        optional = "None" in str(flops.type) or flops.default is not dataclasses.MISSING
        if optional:
            kept["flops"] = None
        else:
            kept["flops"] = 0
    return h.OpSpec(**kept)


def training_spec(
    h: Any,
    np: Any,
    model: str,
    step: Callable[[], Any],
    to_float: Callable[[Any], float],
    *,
    device: str,
    kernel: str,
    layout: str,
    precision: str = "fp32",
    note: str | None = None,
) -> Any:
    """An OpSpec for one training step of ``model``: ``fn`` is a :class:`TrainingStep`,
    ``loss0`` its first loss, ``check`` that loss's relative error against the float64
    reference (computed now, while the op is prepared, so that the measuring turn does not)."""
    fn = TrainingStep(step, to_float)
    reference = reference_loss0(np, model)  # float64 numpy: computed while preparing
    return op_spec(
        h,
        fn=fn,
        flops=None,
        dtype="float32",
        params=params(model, layout),
        kernel=kernel,
        device=device,
        note=note,
        examples=examples(model),
        loss0=fn.loss0,
        precision=precision,
        check=lambda: relative_error(fn.loss0(), reference),
    )


def default_numpy(np: Any) -> Any:
    """``np`` itself, or numpy imported now (every framework here ships with numpy)."""
    if np is not None:
        return np
    import importlib

    return importlib.import_module("numpy")
