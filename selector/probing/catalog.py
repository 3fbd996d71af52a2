"""Which frameworks dlselect can probe, with which program, and what stands for what."""

from __future__ import annotations

from dataclasses import dataclass

#: The training-step ops every training probe measures (``TRAINING_OPS`` in probes/_ops.py), and
#: the suffix of their compiled rows (``train_cnn_compiled``: torch.compile).
TRAINING_OPS = ("train_cnn", "train_lstm", "train_transformer")
COMPILED_SUFFIX = "_compiled"


@dataclass(frozen=True)
class ProbeSpec:
    framework: str  # the probe's name, as in its JSON ``framework`` field
    module: str  # the import name, looked up with importlib.util.find_spec (never imported)
    distributions: tuple[str, ...]  # pip names whose installed version is reported
    program: str  # file in probes/
    #: knowledge-base framework ids the measurement speaks for (PyTorch is not Lua Torch7).
    kb_ids: tuple[str, ...]


SPECS: tuple[ProbeSpec, ...] = (
    ProbeSpec("torch", "torch", ("torch",), "probe_torch.py", ("pytorch",)),
    ProbeSpec("tensorflow", "tensorflow", ("tensorflow", "tensorflow-cpu"),
              "probe_tensorflow.py", ("tensorflow",)),
    ProbeSpec("jax", "jax", ("jax",), "probe_jax.py", ("jax",)),
    ProbeSpec("numba", "numba", ("numba",), "probe_numba.py", ()),
    ProbeSpec("mxnet", "mxnet", ("mxnet",), "probe_mxnet.py", ("mxnet",)),
    # PyTensor is the maintained successor of Theano (via Aesara): it stands for that line.
    ProbeSpec("pytensor", "pytensor", ("pytensor",), "probe_pytensor.py", ("theano",)),
)

#: The article's frameworks that no interpreter here can have, and why. Never pip-install the
#: PyPI names ``caffe`` or ``neon``: they belong to unrelated or placeholder projects.
NOT_INSTALLABLE: dict[str, str] = {
    "caffe": "no release installable on this Python: Caffe is built from source (last release "
             "1.0, 2017) and has no wheel on PyPI; the PyPI name 'caffe' is another project",
    "cntk": "no release installable on this Python: CNTK 2.7 (2019) ships wheels only for "
            "Python 3.5-3.7",
    "neon": "no release installable on this Python: Intel Nervana neon was discontinued and "
            "has no wheel on PyPI; the PyPI name 'neon' is another project",
}


def spec_for(framework: str) -> ProbeSpec | None:
    return next((s for s in SPECS if s.framework == framework), None)


def all_names() -> list[str]:
    return [s.framework for s in SPECS] + list(NOT_INSTALLABLE)
