"""``dlselect scan``: what each repository layout infers, and that scanning a repository runs,
imports and follows nothing in it and stays within its bounds."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selector.answers import load_answers
from selector.cli.app import app
from selector.knowledge import load_snapshot
from selector.scan.infer import Scan, scan
from selector.scan.signals import SNAPSHOT_AXIS, load_signals

runner = CliRunner()


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def inferred(result: Scan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in result.items:
        out.setdefault(item.axis, set()).add(item.target)
    return out


def evidence(result: Scan, axis: str, target: str) -> list[str]:
    item = next(i for i in result.items if (i.axis, i.target) == (axis, target))
    return [str(e) for e in item.evidence]


def test_every_signal_names_a_target_of_the_current_snapshot() -> None:
    snap = load_snapshot("current")
    known = {(t.axis.value, t.id) for t in snap.targets}
    signals = load_signals()
    assert len(signals) > 40
    missing = [(s.axis, s.target) for s in signals
               if (SNAPSHOT_AXIS[s.axis], s.target) not in known]
    assert missing == []


def test_pytorch_llm_finetune_repo(tmp_path: Path) -> None:
    # Follows huggingface/alignment-handbook: a setup.py, recipes/*.yaml, scripts/*.py, and
    # src/alignment/ importing transformers, trl and peft.
    tree(tmp_path, {
        "setup.py": "from setuptools import setup\nsetup(name='alignment-handbook')\n",
        "requirements.txt": "torch>=2.1\ntransformers>=4.39\ntrl>=0.9\npeft>=0.9\n"
                            "deepspeed==0.12.2\n",
        "scripts/run_sft.py": "import logging\nimport torch\nfrom trl import SFTTrainer\n"
                              "from transformers import AutoModelForCausalLM\n",
        "src/alignment/model_utils.py": "from peft import LoraConfig\n",
        "recipes/zephyr-7b/sft/config.yaml": "model_name_or_path: mistralai/Mistral-7B\n",
    })
    result = scan(tmp_path)
    found = inferred(result)
    assert found["existing"] == {"pytorch"}
    assert found["language"] == {"python"}
    assert "llm-finetune" in found["workload"]
    assert found["scale"] == {"multi-device"}
    assert "scripts/run_sft.py:3: from trl import SFTTrainer" in evidence(
        result, "workload", "llm-finetune")
    assert "requirements.txt:1: torch>=2.1" in evidence(result, "existing", "pytorch")


def test_tensorflow_keras_vision_service(tmp_path: Path) -> None:
    # Follows tensorflow/models' official/vision layout, served from a CUDA image.
    tree(tmp_path, {
        "pyproject.toml": '[project]\nname = "vision-service"\ndependencies = [\n'
                          '  "tensorflow[and-cuda]>=2.16",\n  "keras>=3",\n  "keras-cv",\n]\n',
        "official/vision/train.py": "import tensorflow as tf\nimport keras\n",
        "Dockerfile": "FROM nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04\nRUN pip install .\n",
    })
    result = scan(tmp_path)
    found = inferred(result)
    assert found["existing"] == {"tensorflow", "keras"}
    assert found["workload"] == {"vision"}
    assert found["hardware"] == {"nvidia-gpu"}
    assert "Dockerfile:1: FROM nvidia/cuda:12.3.2-cudnn9-runtime-ubuntu22.04" in evidence(
        result, "hardware", "nvidia-gpu")
    assert "pyproject.toml:4:   \"tensorflow[and-cuda]>=2.16\"," not in evidence(
        result, "existing", "keras")


def test_jax_tpu_research_repo(tmp_path: Path) -> None:
    # Follows google/maxtext: requirements.txt with jax and libtpu, MaxText/*.py importing
    # jax, flax and optax, a GKE JobSet asking for google.com/tpu.
    tree(tmp_path, {
        "requirements.txt": "jax[tpu]\n-f https://storage.googleapis.com/jax-releases/libtpu"
                            "_releases.html\nflax\noptax\norbax-checkpoint\n",
        "MaxText/train.py": "import jax\nimport jax.numpy as jnp\nfrom flax import linen\n",
        "k8s/jobset.yaml": "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nspec:\n"
                           "  resources:\n    limits:\n      google.com/tpu: 4\n",
    })
    result = scan(tmp_path)
    found = inferred(result)
    assert found["existing"] == {"jax"}
    assert found["hardware"] == {"tpu"}
    assert found["scale"] == {"multi-node"}
    assert "k8s/jobset.yaml:6: google.com/tpu: 4" in evidence(result, "hardware", "tpu")
    assert "requirements.txt:1: jax[tpu]" in evidence(result, "hardware", "tpu")


def test_android_executorch_app(tmp_path: Path) -> None:
    # Follows pytorch/executorch's examples/demo-apps/android/LlamaDemo layout.
    tree(tmp_path, {
        "settings.gradle": "include ':app'\n",
        "app/build.gradle.kts": "dependencies {\n"
                                '    implementation("org.pytorch:executorch-android:0.6.0")\n'
                                "}\n",
        "app/src/main/java/com/example/llamademo/MainActivity.kt": "package com.example\n",
    })
    result = scan(tmp_path)
    found = inferred(result)
    assert found["deployment"] == {"android"}
    assert found["runtime_language"] == {"kotlin"}
    assert 'app/build.gradle.kts:2: implementation("org.pytorch:executorch-android:0.6.0")' in \
        evidence(result, "deployment", "android")
    assert scan(tmp_path).answers_data()["runtime_languages"] == ["kotlin"]


def test_kotlin_sources_alone_say_nothing(tmp_path: Path) -> None:
    # A Kotlin server with no on-device framework: .kt files are no runtime language by
    # themselves (the signal needs deployment android first).
    tree(tmp_path, {"src/main/kotlin/Server.kt": "fun main() {}\n"})
    assert inferred(scan(tmp_path)) == {}


def test_ios_app_with_tensorflow_lite_swift(tmp_path: Path) -> None:
    # Follows tensorflow/examples' lite/examples/image_classification/ios Podfile.
    tree(tmp_path, {
        "ios/Podfile": "platform :ios, '12.0'\ntarget 'ImageClassification' do\n"
                       "  use_frameworks!\n  pod 'TensorFlowLiteSwift'\nend\n",
        "ios/ImageClassification/ViewController.swift": "import UIKit\n",
    })
    result = scan(tmp_path)
    found = inferred(result)
    assert found["deployment"] == {"ios"}
    assert found["runtime_language"] == {"swift"}
    assert "ios/Podfile:4: pod 'TensorFlowLiteSwift'" in evidence(result, "deployment", "ios")


def test_web_app_with_onnxruntime_web(tmp_path: Path) -> None:
    # Follows microsoft/onnxruntime-inference-examples' js/quick-start_onnxruntime-web-bundler.
    tree(tmp_path, {
        "package.json": json.dumps({"name": "quick-start", "dependencies": {
            "onnxruntime-web": "^1.18.0"}, "devDependencies": {"webpack": "^5"}}, indent=2),
        "main.js": "const ort = require('onnxruntime-web');\n",
    })
    result = scan(tmp_path)
    assert inferred(result) == {"deployment": {"browser"}, "runtime_language": {"javascript"}}
    assert evidence(result, "deployment", "browser") == [
        'package.json:4: "onnxruntime-web": "^1.18.0"']


def test_rust_crate_with_tch(tmp_path: Path) -> None:
    # Follows LaurentMazare/tch-rs's examples: a Cargo.toml depending on tch.
    tree(tmp_path, {
        "Cargo.toml": '[package]\nname = "mnist"\nversion = "0.1.0"\n\n[dependencies]\n'
                      'tch = "0.17"\nanyhow = "1"\n',
        "src/main.rs": "use tch::nn;\n",
    })
    result = scan(tmp_path)
    assert inferred(result) == {"language": {"rust"}, "existing": {"pytorch"}}
    assert evidence(result, "language", "rust") == ['Cargo.toml:6: tch = "0.17"']


def test_csharp_and_cpp(tmp_path: Path) -> None:
    # Follows dotnet/TorchSharpExamples (a .csproj) and pytorch/examples' cpp/mnist (CMake).
    tree(tmp_path, {
        "cs/Train.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n  <ItemGroup>\n'
                           '    <PackageReference Include="TorchSharp-cpu" Version="0.102" />\n'
                           "  </ItemGroup>\n</Project>\n",
        "cpp/CMakeLists.txt": "cmake_minimum_required(VERSION 3.18)\n"
                              "find_package(Torch REQUIRED)\n",
    })
    found = inferred(scan(tmp_path))
    assert found["language"] == {"csharp", "cpp"}
    assert found["existing"] == {"pytorch"}


def test_rocm_dockerfile(tmp_path: Path) -> None:
    # Follows ROCm/pytorch-examples' docker image: FROM rocm/pytorch.
    tree(tmp_path, {
        "docker/Dockerfile": "FROM rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_release_2.3.0\n"
                             "RUN pip install --index-url https://download.pytorch.org/whl/"
                             "rocm6.2 torchvision\n",
    })
    result = scan(tmp_path)
    assert inferred(result) == {"hardware": {"amd-gpu"}}
    assert [e.split(":")[1] for e in evidence(result, "hardware", "amd-gpu")] == ["1", "2"]


def test_planted_code_never_runs(tmp_path: Path) -> None:
    marker = tmp_path.parent / f"{tmp_path.name}-MARKER"
    payload = f"open({str(marker)!r}, 'w').write('ran')\nimport torch\n"
    tree(tmp_path, {
        "setup.py": payload,
        "conftest.py": payload,
        "pkg/__init__.py": payload,
        "sitecustomize.py": payload,
        "usercustomize.py": payload,
        "pkg/torch.py": payload,
        "noxfile.py": payload,
    })
    (tmp_path / "pkg" / "x.pth").write_text(f"import os; {payload.splitlines()[0]}\n")
    modules = set(sys.modules)
    result = scan(tmp_path)
    assert not marker.exists()
    assert set(sys.modules) - modules == set()  # nothing new imported either
    assert inferred(result)["existing"] == {"pytorch"}  # the files were read


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    tree(outside, {"requirements.txt": "tensorflow\n"})
    repo = tree(tmp_path / "repo", {"requirements.txt": "torch\n"})
    (repo / "loop").symlink_to(repo, target_is_directory=True)
    (repo / "out-dir").symlink_to(outside, target_is_directory=True)
    (repo / "requirements-outside.txt").symlink_to(outside / "requirements.txt")
    result = scan(repo)
    assert inferred(result)["existing"] == {"pytorch"}
    assert result.skipped.counts["symlink (not followed)"] == 3
    assert sorted(result.skipped.examples["symlink (not followed)"]) == [
        "loop", "out-dir", "requirements-outside.txt"]


def test_big_sparse_and_binary_files_are_skipped(tmp_path: Path) -> None:
    tree(tmp_path, {"requirements.txt": "torch\n"})
    big = tmp_path / "big.py"
    with open(big, "wb") as handle:
        handle.write(b"import tensorflow\n")
    os.truncate(big, 5 * 1024**3)
    (tmp_path / "blob.py").write_bytes(b"import keras\n\0\0\0binary")
    start = time.monotonic()
    result = scan(tmp_path)
    assert time.monotonic() - start < 2
    assert inferred(result)["existing"] == {"pytorch"}
    assert result.skipped.examples["too large"] == ["big.py"]
    assert result.skipped.examples["binary"] == ["blob.py"]


def test_excluded_folders_are_left_out(tmp_path: Path) -> None:
    tree(tmp_path, {
        "train.py": "import torch\n",
        ".git/hooks/post-checkout.py": "import tensorflow\n",
        "node_modules/x/package.json": '{"dependencies": {"onnxruntime-web": "1"}}',
        ".venv-cuda/lib/site.py": "import jax\n",
        "myenv/pyvenv.cfg": "home = /usr/bin\n",
        "myenv/lib/m.py": "import paddle\n",
        "third_party/k/k.py": "import keras\n",
        "build/lib/b.py": "import mlx\n",
    })
    result = scan(tmp_path)
    assert inferred(result) == {"existing": {"pytorch"}, "language": {"python"}}
    assert result.skipped.counts["virtual environment"] == 1
    assert result.skipped.counts["excluded folder"] == 5


def test_file_bound_is_reported(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"m{i:02}.py").write_text("import os\n")
    result = scan(tmp_path, max_files=10)
    assert result.files_seen == 10
    assert result.truncated
    assert result.skipped.counts == {"file limit (10) reached": 1}
    assert scan(tmp_path).truncated is False


def test_time_bound_is_reported(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"m{i}.py").write_text("import torch\n")
    result = scan(tmp_path, max_seconds=-1.0)
    assert result.truncated and result.files_seen == 0
    assert list(result.skipped.counts) == ["time limit (-1 s) reached"]


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_table_toml_and_recommend(tmp_path: Path) -> None:
    repo = tree(tmp_path / "repo", {"requirements.txt": "torch\npeft\n",
                                    "Dockerfile": "FROM rocm/pytorch:latest\n"})
    (repo / "link").symlink_to(tmp_path)
    code, out, err = run("scan", str(repo))
    assert code == 0, err
    assert "requirements.txt:2: peft" in out
    assert "symlink (not followed): 1 (e.g. link)" in out
    code, out, err = run("scan", str(repo), "--format", "toml", "--output",
                         str(tmp_path / "answers.toml"))
    assert code == 0, err
    answers = load_answers(tmp_path / "answers.toml")
    assert answers.existing == ["pytorch"] and answers.hardware == ["amd-gpu"]
    assert answers.workloads == ["llm-finetune"]
    code, out, err = run("scan", str(repo), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["answers"]["hardware"] == ["amd-gpu"]
    assert doc["skipped"]["symlink (not followed)"]["count"] == 1
    code, out, err = run("recommend", "--answers", str(tmp_path / "answers.toml"),
                         "--samples", "0", "--format", "json")
    assert code == 0, err
    by_file = json.loads(out)["ranking"]
    code, out, err = run("recommend", "--from-repo", str(repo), "--samples", "0",
                         "--format", "json")
    assert code == 0, err
    assert "inferred from" in err and "amd-gpu" in err
    doc = json.loads(out)
    assert doc["profile"]["hardware"] == ["amd-gpu"]
    assert [r["framework"] for r in doc["ranking"]] == [r["framework"] for r in by_file]


@pytest.mark.parametrize("args", [["scan", "missing"], ["scan", "file.txt"],
                                  ["recommend", "--from-repo", "missing"]])
def test_bad_path_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    code, out, err = run(*args)
    assert code == 2
    assert err.startswith("dlselect: error: ")
    assert len([line for line in err.splitlines() if not line.startswith("Tip:")]) == 1
