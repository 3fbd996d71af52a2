"""Training-step ops for the MXNet probe: ``train_cnn``, ``train_lstm``, ``train_transformer``.

Registration (in probe_mxnet.py's ``main``, after ``builders = _builders(...)``)::

    builders.update(_train_mxnet.builders(mx, device, None, args.budget, np))

``builders(mx, device, ctx, budget, np=None)``: ``device`` is "cpu" or "gpu", ``ctx`` the MXNet
context (``mx.cpu()`` or ``mx.gpu(0)``; None: chosen from ``device``), ``budget`` unused (fixed
shapes; kept for the common signature), ``np`` numpy (imported when None; .venv-mxnet has numpy
1.23).

Idiomatic MXNet 1.x: Gluon ``HybridBlock``s, hybridized (``static_alloc``, ``static_shape``:
the graph is built on the first call, in ``first_step_s``); ``autograd.record()``, the
per-example ``gluon.loss.SoftmaxCrossEntropyLoss``, ``backward()`` and
``gluon.Trainer(..., "sgd", {"learning_rate": LR})`` (momentum 0, wd 0) ``step(batch_size)``,
which divides the summed gradient by the batch size: the gradient of the mean loss, as
everywhere else. For the LM the loss per example is the mean over its positions. The op returns
the mean loss as an NDArray (MXNet's engine is asynchronous; ``mx.nd.waitall`` syncs).

Layouts: images NCHW, ``Conv2D`` weight OIHW (canonical); ``Dense`` weight (out, in) =
canonical.T (``flatten=False`` on 3-D inputs); ``Embedding`` (vocab, E); ``rnn.LSTM`` (NTC,
fused RNN op) ``l{k}_i2h_weight`` (4H, in) and ``l{k}_h2h_weight`` (4H, H) as canonical, gate
order i, f, g(c), o; its two bias vectors stay zero and are frozen (``grad_req="null"``):
the canonical LSTM has no bias. Gluon 1.x has no multi-head attention layer, so the attention
is written out in ``hybrid_forward``: Dense q/k/v/o projections, heads split by reshape and
transpose to (B*heads, T, hd), ``batch_dot``, ``softmax``; ``LayerNorm(epsilon=1e-5)``.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import _harness as h
import _training as t


def _cnn(mx: Any) -> tuple[Any, dict[str, Any]]:
    nn, s = mx.gluon.nn, t.CNN

    class Cnn(mx.gluon.HybridBlock):
        def __init__(self) -> None:
            super().__init__()
            with self.name_scope():
                self.conv0 = nn.Conv2D(s.filters, 3, padding=1, in_channels=s.channels)
                self.conv1 = nn.Conv2D(s.filters, 3, padding=1, in_channels=s.filters)
                self.conv2 = nn.Conv2D(s.filters, 3, padding=1, in_channels=s.filters)
                self.pool = nn.GlobalAvgPool2D()
                self.dense = nn.Dense(s.classes, in_units=s.filters)

        def hybrid_forward(self, F: Any, x: Any) -> Any:  # noqa: N803 - Gluon's name
            stem = F.relu(self.conv0(x))
            block = F.relu(self.conv2(F.relu(self.conv1(stem))) + stem)
            return self.dense(self.pool(block))

    net = Cnn()
    params = {}
    for k, conv in enumerate((net.conv0, net.conv1, net.conv2)):
        params[f"conv{k}_w"], params[f"conv{k}_b"] = conv.weight, conv.bias
    params["dense_w"], params["dense_b"] = net.dense.weight, net.dense.bias
    return net, params


def _lstm(mx: Any) -> tuple[Any, dict[str, Any]]:
    nn, s = mx.gluon.nn, t.LSTM

    class LstmLm(mx.gluon.HybridBlock):
        def __init__(self) -> None:
            super().__init__()
            with self.name_scope():
                self.embed = nn.Embedding(s.vocab, s.embed)
                self.lstm = mx.gluon.rnn.LSTM(
                    s.hidden, num_layers=s.layers, layout="NTC", input_size=s.embed
                )
                self.dense = nn.Dense(s.vocab, flatten=False, in_units=s.hidden)

        def hybrid_forward(self, F: Any, tokens: Any) -> Any:  # noqa: N803
            return self.dense(self.lstm(self.embed(tokens)))  # (B, T, vocab)

    net = LstmLm()
    params = {"embed": net.embed.weight}
    for k in range(s.layers):
        params[f"lstm{k}_w_ih"] = getattr(net.lstm, f"l{k}_i2h_weight")
        params[f"lstm{k}_w_hh"] = getattr(net.lstm, f"l{k}_h2h_weight")
        for frozen in ("i2h_bias", "h2h_bias"):  # zero and never trained: no LSTM bias
            getattr(net.lstm, f"l{k}_{frozen}").grad_req = "null"
    params["dense_w"], params["dense_b"] = net.dense.weight, net.dense.bias
    return net, params


def _transformer(mx: Any) -> tuple[Any, dict[str, Any]]:
    nn, s = mx.gluon.nn, t.TRANSFORMER

    def dense(units: int, inputs: int) -> Any:
        return nn.Dense(units, flatten=False, in_units=inputs)

    class Block(mx.gluon.HybridBlock):
        def __init__(self) -> None:
            super().__init__()
            with self.name_scope():
                self.ln1 = nn.LayerNorm(epsilon=s.eps, in_channels=s.dim)
                self.q, self.k, self.v, self.o = (dense(s.dim, s.dim) for _ in range(4))
                self.ln2 = nn.LayerNorm(epsilon=s.eps, in_channels=s.dim)
                self.mlp1, self.mlp2 = dense(s.mlp, s.dim), dense(s.dim, s.mlp)
                self.dense = nn.Dense(s.classes, in_units=s.dim)

        def _heads(self, F: Any, v: Any) -> Any:  # noqa: N803 - (B, T, D) -> (B*heads, T, hd)
            v = F.transpose(F.reshape(v, shape=(0, 0, s.heads, -1)), axes=(0, 2, 1, 3))
            return F.reshape(v, shape=(-3, 0, 0))

        def hybrid_forward(self, F: Any, x: Any) -> Any:  # noqa: N803
            a = self.ln1(x)
            q, k, v = (self._heads(F, proj(a)) for proj in (self.q, self.k, self.v))
            scores = F.batch_dot(q, k, transpose_b=True) / math.sqrt(s.head_dim)
            context = F.batch_dot(F.softmax(scores, axis=-1), v)  # (B*heads, T, hd)
            context = F.reshape(context, shape=(-4, -1, s.heads, 0, 0))  # (B, heads, T, hd)
            context = F.reshape(F.transpose(context, axes=(0, 2, 1, 3)), shape=(0, 0, -3))
            y = x + self.o(context)
            z = y + self.mlp2(F.relu(self.mlp1(self.ln2(y))))
            return self.dense(F.mean(z, axis=1))

    net = Block()
    params = {"ln1_g": net.ln1.gamma, "ln1_b": net.ln1.beta}
    params.update({"ln2_g": net.ln2.gamma, "ln2_b": net.ln2.beta})
    for name in "qkvo":
        layer = getattr(net, name)
        params[f"w{name}"], params[f"b{name}"] = layer.weight, layer.bias
    for name in ("mlp1", "mlp2", "dense"):
        layer = getattr(net, name)
        params[f"{name}_w"], params[f"{name}_b"] = layer.weight, layer.bias
    return net, params


_MODELS = {"cnn": _cnn, "lstm": _lstm, "transformer": _transformer}


def _load(mx: Any, np: Any, model: str, params: dict[str, Any], ctx: Any) -> None:
    canonical = t.init_weights(np, model)
    if set(params) != set(canonical):
        raise RuntimeError(f"mxnet {model}: parameters {sorted(params)} != {sorted(canonical)}")
    for key, param in params.items():
        value = canonical[key]
        if key.endswith("_w") and value.ndim == 2 and not key.startswith("lstm"):
            value = value.T  # Dense: canonical (in, out) -> Gluon (out, in)
        elif key in ("wq", "wk", "wv", "wo"):
            value = value.T
        if tuple(param.shape) != value.shape:
            raise RuntimeError(f"mxnet {model}: {key} is {param.shape}, canonical {value.shape}")
        param.set_data(mx.nd.array(np.ascontiguousarray(value), ctx=ctx, dtype="float32"))


def _train_op(mx: Any, ctx: Any, device: str, np: Any, model: str) -> h.OpSpec:
    net, params = _MODELS[model](mx)
    net.initialize(ctx=ctx)
    _load(mx, np, model, params, ctx)
    net.hybridize(static_alloc=True, static_shape=True)
    inputs, labels = t.batch(np, model)
    x = mx.nd.array(inputs, ctx=ctx, dtype="float32")  # Embedding takes float indices
    y = mx.nd.array(labels, ctx=ctx, dtype="float32")
    trained = {k: p for k, p in net.collect_params().items() if p.grad_req != "null"}
    trainer = mx.gluon.Trainer(trained, "sgd", {"learning_rate": t.LR})
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss(axis=-1)  # per example; mean over positions
    size = t.examples(model)

    def step() -> Any:
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(size)  # gradient / batch size: the gradient of the mean loss
        return loss.mean()

    return t.training_spec(
        h,
        np,
        model,
        step,
        lambda loss: float(loss.asscalar()),
        device=device,
        kernel="Gluon HybridBlock (hybridized), autograd + gluon.Trainer sgd",
        layout="NCHW" if model == "cnn" else "NTC",
    )


def builders(mx: Any, device: str, ctx: Any, budget: Any, np: Any = None) -> dict[str, h.OpBuilder]:
    """``train_cnn``, ``train_lstm``, ``train_transformer`` (``budget`` is not used)."""
    del budget
    np = t.default_numpy(np)
    if ctx is None:
        ctx = mx.gpu(0) if device == "gpu" else mx.cpu()
    return {t.OP_NAMES[m]: partial(_train_op, mx, ctx, device, np, m) for m in t.MODELS}
