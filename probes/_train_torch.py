"""Training-step ops for the torch probe: ``train_cnn``, ``train_lstm``, ``train_transformer``
(eager) and, for ``--budget full`` or on a GPU, the same three under ``torch.compile``
(``train_cnn_compiled`` and so on).

Registration (in probe_torch.py's ``main``, after ``builders = _builders(...)``)::

    builders.update(_train_torch.builders(torch, device, None, args.budget, np))

``builders(torch, device, dev, budget, np=None)``: ``device`` is "cpu" or "gpu", ``dev`` the
``torch.device`` to run on (None: cuda:0 on a GPU, else the CPU), ``budget`` the harness Budget
(its ``name`` decides whether the compiled rows exist), ``np`` numpy (imported when None).

Idiomatic torch: ``nn`` modules, ``F.cross_entropy``, ``loss.backward()``,
``torch.optim.SGD(lr=LR)`` (momentum 0; ``foreach`` implementation),
``zero_grad(set_to_none=True)``. Layouts: images NCHW; ``nn.Conv2d`` weight OIHW (canonical);
``nn.Linear`` weight (out, in) = canonical.T; ``nn.LSTM(batch_first=True, bias=False)``
weight_ih_l{k} (4H, in) and weight_hh_l{k} (4H, H) as canonical, gate order i, f, g, o;
``nn.MultiheadAttention(batch_first=True)`` ``in_proj_weight`` (3D, D) = [Wq.T; Wk.T; Wv.T],
``in_proj_bias`` = [bq, bk, bv], ``out_proj.weight`` = Wo.T, called with
``need_weights=False`` (scaled_dot_product_attention).

torch.compile: the model's forward and the loss are compiled together (``torch.compile`` of a
function calling the module; the backward is compiled by AOTAutograd); ``optimizer.step()``
stays eager. The first call compiles, so ``first_step_s`` holds the compile time.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import _harness as h
import _training as t


def _tensor(torch: Any, dev: Any, array: Any) -> Any:
    return torch.from_numpy(array).to(dev)


def _cnn(torch: Any) -> Any:
    nn, fn = torch.nn, torch.nn.functional
    s = t.CNN

    class Cnn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv0 = nn.Conv2d(s.channels, s.filters, 3, padding=1)
            self.conv1 = nn.Conv2d(s.filters, s.filters, 3, padding=1)
            self.conv2 = nn.Conv2d(s.filters, s.filters, 3, padding=1)
            self.dense = nn.Linear(s.filters, s.classes)

        def forward(self, x: Any) -> Any:
            stem = fn.relu(self.conv0(x))
            block = fn.relu(self.conv2(fn.relu(self.conv1(stem))) + stem)
            return self.dense(block.mean(dim=(2, 3)))

    return Cnn()


def _lstm(torch: Any) -> Any:
    nn = torch.nn
    s = t.LSTM

    class LstmLm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(s.vocab, s.embed)
            self.lstm = nn.LSTM(
                s.embed, s.hidden, num_layers=s.layers, bias=False, batch_first=True
            )
            self.dense = nn.Linear(s.hidden, s.vocab)

        def forward(self, tokens: Any) -> Any:
            return self.dense(self.lstm(self.embed(tokens))[0])  # (B, T, vocab)

    return LstmLm()


def _transformer(torch: Any) -> Any:
    nn, fn = torch.nn, torch.nn.functional
    s = t.TRANSFORMER

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(s.dim, eps=s.eps)
            self.attn = nn.MultiheadAttention(s.dim, s.heads, batch_first=True)
            self.ln2 = nn.LayerNorm(s.dim, eps=s.eps)
            self.mlp1 = nn.Linear(s.dim, s.mlp)
            self.mlp2 = nn.Linear(s.mlp, s.dim)
            self.dense = nn.Linear(s.dim, s.classes)

        def forward(self, x: Any) -> Any:
            a = self.ln1(x)
            y = x + self.attn(a, a, a, need_weights=False)[0]
            z = y + self.mlp2(fn.relu(self.mlp1(self.ln2(y))))
            return self.dense(z.mean(dim=1))

    return Block()


def _load(torch: Any, np: Any, model_name: str, model: Any, w: dict[str, Any]) -> None:
    """Copy the canonical weights into the module's parameters (torch layouts)."""
    named: dict[str, Any] = {}
    if model_name == "cnn":
        for k in range(3):
            named[f"conv{k}.weight"] = w[f"conv{k}_w"]
            named[f"conv{k}.bias"] = w[f"conv{k}_b"]
    elif model_name == "lstm":
        named["embed.weight"] = w["embed"]
        for k in range(t.LSTM.layers):
            named[f"lstm.weight_ih_l{k}"] = w[f"lstm{k}_w_ih"]
            named[f"lstm.weight_hh_l{k}"] = w[f"lstm{k}_w_hh"]
    else:
        for ln in ("ln1", "ln2"):
            named[f"{ln}.weight"], named[f"{ln}.bias"] = w[f"{ln}_g"], w[f"{ln}_b"]
        named["attn.in_proj_weight"] = np.concatenate([w["wq"].T, w["wk"].T, w["wv"].T])
        named["attn.in_proj_bias"] = np.concatenate([w["bq"], w["bk"], w["bv"]])
        named["attn.out_proj.weight"], named["attn.out_proj.bias"] = w["wo"].T, w["bo"]
        for layer in ("mlp1", "mlp2"):
            named[f"{layer}.weight"], named[f"{layer}.bias"] = w[f"{layer}_w"].T, w[f"{layer}_b"]
    named["dense.weight"], named["dense.bias"] = w["dense_w"].T, w["dense_b"]
    state = model.state_dict()
    if set(named) != set(state):
        raise RuntimeError(f"torch {model_name}: parameters {sorted(state)} != {sorted(named)}")
    with torch.no_grad():
        for name, value in named.items():
            state[name].copy_(torch.from_numpy(np.ascontiguousarray(value)))


_MODELS = {"cnn": _cnn, "lstm": _lstm, "transformer": _transformer}


def _precision(torch: Any, device: str, model: str) -> tuple[str, str | None]:
    """TF32 is off for float32 matmul by default in torch, but cuDNN convolutions allow it."""
    if device != "gpu":
        return "fp32", None
    conv_tf32 = model == "cnn" and torch.backends.cudnn.allow_tf32
    matmul_tf32 = torch.backends.cuda.matmul.allow_tf32
    note = f"TF32 allowed: cudnn {torch.backends.cudnn.allow_tf32}, matmul {matmul_tf32}"
    return ("tf32" if conv_tf32 or matmul_tf32 else "fp32"), note


def _train_op(
    torch: Any, dev: Any, device: str, np: Any, model_name: str, compiled: bool
) -> h.OpSpec:
    model = _MODELS[model_name](torch).to(dev)
    _load(torch, np, model_name, model, t.init_weights(np, model_name))
    inputs, labels = t.batch(np, model_name)
    x = _tensor(torch, dev, inputs if inputs.dtype.kind == "f" else inputs.astype(np.int64))
    y = _tensor(torch, dev, labels.astype(np.int64))
    optimizer = torch.optim.SGD(model.parameters(), lr=t.LR)
    cross_entropy = torch.nn.functional.cross_entropy

    def forward_loss(x: Any, y: Any) -> Any:
        logits = model(x)
        return cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))

    # Compiled lazily: torch.compile itself only wraps; the first call traces and compiles.
    loss_fn = torch.compile(forward_loss) if compiled else forward_loss

    def step() -> Any:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(x, y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    precision, note = _precision(torch, device, model_name)
    if compiled and model_name == "lstm":
        extra = "TorchDynamo does not trace nn.LSTM (graph break): only the rest is compiled"
        note = f"{note}; {extra}" if note else extra
    mode = "torch.compile (inductor), eager optimizer" if compiled else "eager"
    return t.training_spec(
        h,
        np,
        model_name,
        step,
        lambda loss: float(loss.item()),
        device=device,
        kernel=f"torch nn modules + F.cross_entropy + optim.SGD ({mode})",
        layout="NCHW" if model_name == "cnn" else "NTC",
        precision=precision,
        note=note,
    )


def builders(
    torch: Any, device: str, dev: Any, budget: Any, np: Any = None
) -> dict[str, h.OpBuilder]:
    """``train_<model>`` for each model, plus ``train_<model>_compiled`` when
    :func:`_training.compiled_rows_wanted` (``--budget full`` or a GPU)."""
    np = t.default_numpy(np)
    if dev is None:
        dev = torch.device("cuda", 0) if device == "gpu" else torch.device("cpu")
    ops: dict[str, h.OpBuilder] = {}
    for model in t.MODELS:
        ops[t.OP_NAMES[model]] = partial(_train_op, torch, dev, device, np, model, False)
    if t.compiled_rows_wanted(budget, device):
        for model in t.MODELS:
            name = t.OP_NAMES[model] + t.COMPILED_SUFFIX
            ops[name] = partial(_train_op, torch, dev, device, np, model, True)
    return ops
