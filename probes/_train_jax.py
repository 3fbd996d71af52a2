"""Training-step ops for the JAX probe: ``train_cnn``, ``train_lstm``, ``train_transformer``.

Registration (in probe_jax.py's ``main``, after ``builders = _builders(...)``)::

    builders.update(_train_jax.builders(jax, device, dev, args.budget, np))

``builders(jax, device, dev, budget, np=None)``: ``device`` is "cpu" or "gpu", ``dev`` the
``jax.Device`` to put the weights and batch on (None: the first GPU or CPU device), ``budget``
unused (the shapes are fixed; kept for the common signature), ``np`` numpy (imported when None).
The probe must have imported ``jax.numpy`` (it does), which makes ``jax.lax``, ``jax.nn`` and
``jax.numpy`` attributes.

Idiomatic JAX without flax/optax (not installed): the layers are hand-written pure functions
of a parameter dict; one step is ``jax.value_and_grad`` of the loss plus a ``tree_map`` SGD
update, all in one ``jax.jit`` with the parameters donated (``donate_argnums=0``), so XLA
updates them in place. The first call traces and compiles (``first_step_s``). The step is
traced under ``jax.default_matmul_precision("highest")``, so its matmuls and convolutions are true
float32 on a GPU (XLA's GPU default is TF32). On a GPU a call only queues the step, as in the other
frameworks, and the harness waits once per sample; on the CPU each call waits for its loss.

Layouts: images NHWC with HWIO kernels (``lax.conv_general_dilated``; the probe measured NCHW
at half the speed on XLA:CPU), converted from the canonical NCHW/OIHW; dense (in, out) as
canonical; LSTM cells in ``lax.scan`` over time-major (T, B, .) with ``[x_t, h] @ W`` where
W = [W_ih.T; W_hh.T] (in+H, 4H), no bias; attention as canonical
(D, D) matrices, heads split by reshape to (B, T, heads, hd).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import _harness as h
import _training as t


def _convert(np: Any, model: str, w: dict[str, Any]) -> dict[str, Any]:
    """Canonical weights -> this module's parameter dict (numpy, float32)."""
    if model == "cnn":
        out = {k: v for k, v in w.items() if not k.startswith("conv") or k.endswith("_b")}
        for k in range(3):
            out[f"conv{k}_w"] = np.ascontiguousarray(w[f"conv{k}_w"].transpose(2, 3, 1, 0))
        return out
    if model == "lstm":
        out = {"embed": w["embed"], "dense_w": w["dense_w"], "dense_b": w["dense_b"]}
        for k in range(t.LSTM.layers):
            stacked = np.concatenate([w[f"lstm{k}_w_ih"].T, w[f"lstm{k}_w_hh"].T], axis=0)
            out[f"lstm{k}_w"] = np.ascontiguousarray(stacked)
        return out
    return dict(w)


def _cross_entropy(jax: Any, logits: Any, labels: Any) -> Any:
    logp = jax.nn.log_softmax(logits.reshape(-1, logits.shape[-1]), axis=-1)
    picked = jax.numpy.take_along_axis(logp, labels.reshape(-1, 1), axis=1)
    return -picked.mean()


def _forward_cnn(jax: Any, p: dict[str, Any], x: Any) -> Any:
    relu = jax.nn.relu
    conv = partial(
        jax.lax.conv_general_dilated,
        window_strides=(1, 1),
        padding=((1, 1), (1, 1)),
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )
    stem = relu(conv(x, p["conv0_w"]) + p["conv0_b"])
    inner = relu(conv(stem, p["conv1_w"]) + p["conv1_b"])
    block = relu(conv(inner, p["conv2_w"]) + p["conv2_b"] + stem)
    return block.mean(axis=(1, 2)) @ p["dense_w"] + p["dense_b"]


def _forward_lstm(jax: Any, p: dict[str, Any], tokens: Any) -> Any:
    jnp, sigmoid = jax.numpy, jax.nn.sigmoid
    seq = jnp.swapaxes(p["embed"][tokens], 0, 1)  # (T, B, E): scan runs over the first axis
    for k in range(t.LSTM.layers):
        weights = p[f"lstm{k}_w"]

        def cell(carry: tuple[Any, Any], x_t: Any, weights: Any = weights) -> Any:
            h_prev, c_prev = carry
            z = jnp.concatenate([x_t, h_prev], axis=1) @ weights  # no LSTM bias
            i, f, g, o = jnp.split(z, 4, axis=1)
            c_t = sigmoid(f) * c_prev + sigmoid(i) * jnp.tanh(g)
            h_t = sigmoid(o) * jnp.tanh(c_t)
            return (h_t, c_t), h_t

        zeros = jnp.zeros((seq.shape[1], t.LSTM.hidden), seq.dtype)
        _, seq = jax.lax.scan(cell, (zeros, zeros), seq)
    return jnp.swapaxes(seq, 0, 1) @ p["dense_w"] + p["dense_b"]  # (B, T, vocab)


def _layer_norm(jax: Any, x: Any, gamma: Any, beta: Any) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + t.TRANSFORMER.eps) * gamma + beta


def _forward_transformer(jax: Any, p: dict[str, Any], x: Any) -> Any:
    jnp, s = jax.numpy, t.TRANSFORMER
    b, n = x.shape[0], x.shape[1]

    def heads(v: Any) -> Any:  # (B, T, D) -> (B, T, heads, hd)
        return v.reshape(b, n, s.heads, s.head_dim)

    a = _layer_norm(jax, x, p["ln1_g"], p["ln1_b"])
    q, k, v = (heads(a @ p[f"w{m}"] + p[f"b{m}"]) for m in "qkv")
    scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(s.head_dim)
    context = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), v)
    y = x + context.reshape(b, n, s.dim) @ p["wo"] + p["bo"]
    hidden = jax.nn.relu(_layer_norm(jax, y, p["ln2_g"], p["ln2_b"]) @ p["mlp1_w"] + p["mlp1_b"])
    z = y + hidden @ p["mlp2_w"] + p["mlp2_b"]
    return z.mean(axis=1) @ p["dense_w"] + p["dense_b"]


_FORWARD = {"cnn": _forward_cnn, "lstm": _forward_lstm, "transformer": _forward_transformer}


def _sgd_step(jax: Any, model: str, p: dict[str, Any], x: Any, y: Any) -> tuple[Any, Any]:
    def loss_fn(p: dict[str, Any]) -> Any:
        return _cross_entropy(jax, _FORWARD[model](jax, p, x), y)

    # Traced under "highest": every matmul and convolution, forward and backward, carries
    # Precision.HIGHEST, i.e. true float32 on a GPU, where XLA's default is TF32 (on the CPU the
    # setting changes nothing). JAX resolves the default precision while tracing.
    with jax.default_matmul_precision(FP32_SETTING):
        loss, grads = jax.value_and_grad(loss_fn)(p)
    updated = jax.tree_util.tree_map(lambda w, g: w - t.LR * g, p, grads)
    return updated, loss


FP32_SETTING = "highest"
GPU_NOTE = (f"jax.default_matmul_precision({FP32_SETTING!r}) while tracing the step: TF32 off "
            "(XLA's GPU default is TF32)")


def _train_op(jax: Any, dev: Any, device: str, np: Any, model: str) -> h.OpSpec:
    inputs, labels = t.batch(np, model)
    if model == "cnn":
        inputs = np.ascontiguousarray(inputs.transpose(0, 2, 3, 1))  # NCHW -> NHWC
    # device_put returns before the copy is done: wait here, so that the transfer is part of
    # the preparation and not of the first step's time.
    params, x, y = jax.block_until_ready(
        (jax.device_put(_convert(np, model, t.init_weights(np, model)), dev),
         jax.device_put(inputs, dev), jax.device_put(labels, dev)))
    step = jax.jit(partial(_sgd_step, jax, model), donate_argnums=0)
    state = [params]

    def call() -> Any:
        state[0], loss = step(state[0], x, y)
        # On a GPU the step is queued like every framework's (the harness waits for the last
        # loss of a sample, which depends on every step before it). On the CPU each step waits
        # for its own loss, as the probe's kernels do (probe_jax.py's module docstring).
        return loss if device == "gpu" else jax.block_until_ready(loss)

    return t.training_spec(
        h,
        np,
        model,
        call,
        float,
        device=device,
        kernel="hand-written layers, value_and_grad + tree_map SGD, one jax.jit (donated params)",
        layout="NHWC" if model == "cnn" else "NTC",
        precision="fp32",
        note=GPU_NOTE if device == "gpu" else None,
    )


def builders(
    jax: Any, device: str, dev: Any, budget: Any, np: Any = None
) -> dict[str, h.OpBuilder]:
    """``train_cnn``, ``train_lstm``, ``train_transformer`` (``budget`` is not used)."""
    del budget
    np = t.default_numpy(np)
    if dev is None:
        dev = jax.devices("gpu" if device == "gpu" else "cpu")[0]
    return {t.OP_NAMES[m]: partial(_train_op, jax, dev, device, np, m) for m in t.MODELS}
