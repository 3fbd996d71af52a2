"""Training-step ops for the TensorFlow probe: ``train_cnn``, ``train_lstm``,
``train_transformer``.

Registration (in probe_tensorflow.py's ``main``, after ``builders = _builders(...)``)::

    builders.update(_train_tensorflow.builders(tf, device, None, args.budget, np))

``builders(tf, device, place, budget, np=None)``: ``device`` is "cpu" or "gpu", ``place`` the TF
device string ("/CPU:0" or "/GPU:0"; None: chosen from ``device``), ``budget`` unused (fixed
shapes; kept for the common signature), ``np`` numpy (imported when None).

Idiomatic TensorFlow 2 with Keras 3: functional ``keras.Model``s of Keras layers, one training
step in a ``tf.function`` (graph mode, no XLA, like the probe's other ops): ``GradientTape``,
``SparseCategoricalCrossentropy(from_logits=True)`` (mean), ``keras.optimizers.SGD(LR)``
(momentum 0) ``apply``. The first call traces the step (``first_step_s``).

Layouts: Conv2D kernels HWIO (from canonical OIHW), images NHWC on the CPU (TF's CPU conv
kernels need it) and NCHW (``channels_first``) on a GPU; Dense kernels (in, out) as canonical;
``Embedding`` (vocab, E) as canonical; ``LSTM`` kernel (in, 4H) = W_ih.T and recurrent_kernel
(H, 4H) = W_hh.T, gate order i, f, c, o (the same as torch's i, f, g, o), batch-major, with a
frozen bias of zeros: the canonical LSTM has none, but Keras runs its cuDNN kernel on a GPU only
with ``use_bias=True`` (its default); a zero bias that SGD does not move computes the same model;
``MultiHeadAttention(num_heads=4, key_dim=16)`` query/key/value kernels
(D, heads, hd) = Wq.reshape(D, heads, hd), biases (heads, hd), attention_output kernel
(heads, hd, D) = Wo.reshape(heads, hd, D); ``LayerNormalization(epsilon=1e-5)``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import _harness as h
import _training as t


def _cnn(keras: Any, channels_first: bool) -> tuple[Any, list[tuple[Any, list[str]]]]:
    s = t.CNN
    fmt = "channels_first" if channels_first else "channels_last"
    shape = (s.channels, s.size, s.size) if channels_first else (s.size, s.size, s.channels)
    conv = [
        keras.layers.Conv2D(s.filters, 3, padding="same", data_format=fmt, name=f"conv{k}")
        for k in range(3)
    ]
    dense = keras.layers.Dense(s.classes, name="dense")
    x = keras.Input(shape, batch_size=s.batch)
    stem = keras.ops.relu(conv[0](x))
    inner = keras.ops.relu(conv[1](stem))
    block = keras.ops.relu(conv[2](inner) + stem)
    out = dense(keras.layers.GlobalAveragePooling2D(data_format=fmt)(block))
    weights = [(conv[k], [f"conv{k}_w", f"conv{k}_b"]) for k in range(3)]
    return keras.Model(x, out), [*weights, (dense, ["dense_w", "dense_b"])]


def _lstm(keras: Any) -> tuple[Any, list[tuple[Any, list[str]]]]:
    s = t.LSTM
    tokens = keras.Input((s.seq,), batch_size=s.batch, dtype="int32")
    embed = keras.layers.Embedding(s.vocab, s.embed, name="embed")
    # use_bias=True (Keras's default): without a bias Keras never takes its cuDNN path on a GPU
    # and runs a generic loop instead. The bias is loaded as zeros (ZERO_BIAS) and frozen;
    # unit_forget_bias=False keeps Keras from initialising the forget gate's to 1.
    layers = [
        keras.layers.LSTM(s.hidden, return_sequences=True, use_bias=True,
                          unit_forget_bias=False, name=f"lstm{k}")
        for k in range(s.layers)
    ]
    dense = keras.layers.Dense(s.vocab, name="dense")
    seq = embed(tokens)
    for layer in layers:
        seq = layer(seq)
        # Frozen, like MXNet's biases: SGD leaves it at zero, so every framework trains the
        # same bias-free model (docs/training-probes.md).
        layer.cell.bias.trainable = False
    weights = [(embed, ["embed"])]
    weights += [(layer, [f"lstm{k}_w_ih", f"lstm{k}_w_hh", ZERO_BIAS])
                for k, layer in enumerate(layers)]
    return keras.Model(tokens, dense(seq)), [*weights, (dense, ["dense_w", "dense_b"])]


def _transformer(keras: Any) -> tuple[Any, list[tuple[Any, list[str]]]]:
    s = t.TRANSFORMER
    x = keras.Input((s.seq, s.dim), batch_size=s.batch)
    ln1 = keras.layers.LayerNormalization(epsilon=s.eps, name="ln1")
    attn = keras.layers.MultiHeadAttention(s.heads, s.head_dim, name="attn")
    ln2 = keras.layers.LayerNormalization(epsilon=s.eps, name="ln2")
    mlp1 = keras.layers.Dense(s.mlp, activation="relu", name="mlp1")
    mlp2 = keras.layers.Dense(s.dim, name="mlp2")
    dense = keras.layers.Dense(s.classes, name="dense")
    a = ln1(x)
    y = x + attn(a, a)
    z = y + mlp2(mlp1(ln2(y)))
    out = dense(keras.ops.mean(z, axis=1))
    attn_keys = ["wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo"]
    weights = [
        (ln1, ["ln1_g", "ln1_b"]),
        (attn, attn_keys),
        (ln2, ["ln2_g", "ln2_b"]),
        (mlp1, ["mlp1_w", "mlp1_b"]),
        (mlp2, ["mlp2_w", "mlp2_b"]),
        (dense, ["dense_w", "dense_b"]),
    ]
    return keras.Model(x, out), weights


def _keras_layout(np: Any, key: str, value: Any) -> Any:
    """One canonical array in the layout its Keras variable has."""
    s = t.TRANSFORMER
    if key.startswith("conv") and key.endswith("_w"):
        return value.transpose(2, 3, 1, 0)  # OIHW -> HWIO
    if key.startswith("lstm"):
        return value.T  # (4H, in) -> (in, 4H); (4H, H) -> (H, 4H)
    if key in ("wq", "wk", "wv"):
        return value.reshape(s.dim, s.heads, s.head_dim)
    if key in ("bq", "bk", "bv"):
        return value.reshape(s.heads, s.head_dim)
    if key == "wo":
        return value.reshape(s.heads, s.head_dim, s.dim)
    return value


ZERO_BIAS = "(zeros)"  # a Keras variable the canonical model lacks: loaded as zeros


def _load(np: Any, model: str, layers: list[tuple[Any, list[str]]]) -> None:
    canonical = t.init_weights(np, model)
    used = set()
    for layer, keys in layers:
        shapes = [tuple(v.shape) for v in layer.get_weights()]
        if len(shapes) != len(keys):
            raise RuntimeError(f"keras {layer.name}: weights {shapes} != {keys}")
        values = [np.zeros(shape, np.float32) if k == ZERO_BIAS
                  else np.ascontiguousarray(_keras_layout(np, k, canonical[k]))
                  for k, shape in zip(keys, shapes)]  # noqa: B905 - equal lengths (above)
        if shapes != [v.shape for v in values]:
            raise RuntimeError(f"keras {layer.name}: weights {shapes} != {keys}")
        layer.set_weights(values)
        used.update(k for k in keys if k != ZERO_BIAS)
    if used != set(canonical):
        raise RuntimeError(f"keras {model}: weights not loaded: {sorted(set(canonical) - used)}")


_MODELS = {"cnn": _cnn, "lstm": _lstm, "transformer": _transformer}


def _train_op(tf: Any, place: str, device: str, np: Any, model_name: str) -> h.OpSpec:
    keras = tf.keras
    channels_first = device == "gpu"
    inputs, labels = t.batch(np, model_name)
    if model_name == "cnn" and not channels_first:
        inputs = np.ascontiguousarray(inputs.transpose(0, 2, 3, 1))  # NCHW -> NHWC
    with tf.device(place):
        if model_name == "cnn":
            model, layers = _cnn(keras, channels_first)
        else:
            model, layers = _MODELS[model_name](keras)
        _load(np, model_name, layers)
        x, y = tf.constant(inputs), tf.constant(labels)
        optimizer = keras.optimizers.SGD(learning_rate=t.LR)
        optimizer.build(model.trainable_variables)  # its variables must exist before tracing
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function  # traced into a graph on the first call
    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    def step() -> Any:
        with tf.device(place):
            return train_step(x, y)

    precision, note = "fp32", None
    if device == "gpu":
        tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
        precision, note = ("tf32" if tf32 else "fp32"), f"TF32 execution enabled: {tf32}"
    return t.training_spec(
        h,
        np,
        model_name,
        step,
        lambda loss: float(loss.numpy()),
        device=device,
        kernel="Keras 3 layers, GradientTape + keras.optimizers.SGD in tf.function (no XLA)",
        layout=("NCHW" if channels_first else "NHWC") if model_name == "cnn" else "NTC",
        precision=precision,
        note=note,
    )


def builders(
    tf: Any, device: str, place: str | None, budget: Any, np: Any = None
) -> dict[str, h.OpBuilder]:
    """``train_cnn``, ``train_lstm``, ``train_transformer`` (``budget`` is not used)."""
    del budget
    np = t.default_numpy(np)
    if place is None:
        place = "/GPU:0" if device == "gpu" else "/CPU:0"
    return {t.OP_NAMES[m]: partial(_train_op, tf, place, device, np, m) for m in t.MODELS}
