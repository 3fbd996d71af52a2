"""The interactive HTML report: self-contained, every cell's evidence, and a re-ranking in the
browser equal to the engine's (docs/html-report.md).

The browser tests drive Debian's Chromium through its chromedriver with Selenium; `make test`
installs both as root (`make browser`); elsewhere they skip and say what to install.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from typer.testing import CliRunner

from selector.cli.app import app
from selector.engine.methods import scores_of
from selector.engine.profile import build_profile
from selector.engine.ranking import order
from selector.engine.recommend import Decision, decide
from selector.errors import DlselectError
from selector.probing.models import Outcome
from selector.report.html_format import HtmlFormatter, _script_json, page
from tests.conftest import REPO
from tests.test_measured import outcome

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

runner = CliRunner()
SCREENSHOT = REPO / "docs" / "img" / "html-report.png"
#: The profile of the browser test and the README's screenshot.
ARGS = ["-l", "python", "--task", "transformer", "--hardware", "gpu"]
INSTALL = "apt-get install -y --no-install-recommends chromium chromium-driver"


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def embedded(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="dlselect-data">(.*?)</script>',
                      text, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def decision_for(*, kb: str = "current", method: str = "topsis", samples: int = 0,
                 probes: list[Outcome] | None = None, **answers: Any) -> Decision:
    profile = build_profile(languages=answers.get("languages", []), task=answers.get("task"),
                            hardware=answers.get("hardware", []), deployment=[], weights={},
                            method=method, snapshot=kb)
    return decide(profile.model_copy(update={"samples": samples}), probes=probes)


#: Speed measured on this machine's CPU (made up, as a probe run reports it): blended into the
#: matrix, with noise, so the matrix holds values no snapshot has.
CPU_PROBES = [outcome("torch", gemm=120.0, iqr_share=0.05), outcome("tensorflow", gemm=80.0),
              outcome("jax", gemm=150.0, iqr_share=0.2)]


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLSELECT_TODAY", "2026-12-08")


# --- the page, without a browser -------------------------------------------------------------


def test_page_is_self_contained(today: None) -> None:
    text = run("recommend", *ARGS, "--format", "html")
    assert text.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no external script, style sheet, image, frame, font or import; and a
    # policy that forbids the browser to load anything should something slip through.
    assert not re.search(r"<(script|img|iframe|link|object|embed)\b[^>]*\b(src|href)=", text,
                         re.I)
    assert not re.search(r"url\(|@import|@font-face", text, re.I)
    assert "default-src 'none'" in text
    assert text.count("<script") == 2  # the data and the inlined program


def test_page_embeds_the_engine_results_and_matrix(today: None) -> None:
    data = embedded(run("recommend", *ARGS, "--format", "html"))
    assert data["recommendation"] == json.loads(run("recommend", *ARGS, "--format", "json"))
    decision = decision_for(languages=["python"], task="transformer", hardware=["gpu"])
    matrix = data["matrix"]
    # The very doubles the engine ranked (JSON carries a float's shortest round-trip repr).
    assert np.array_equal(np.array(matrix["unit"]), decision.matrix.unit())
    assert matrix["weights"] == decision.matrix.weights.tolist()
    assert matrix["raw_weights"] == [decision.raw_weights[c] for c in decision.matrix.criteria]
    assert matrix["alternatives"] == list(decision.matrix.alternatives)
    assert matrix["method"] == "topsis"


def test_every_cell_shows_its_evidence(today: None) -> None:
    decision = decision_for(languages=["python"], task="transformer", hardware=["gpu"],
                            samples=2000)
    rec = decision.recommendation
    text = page(decision)
    names = {c.id: c.name for c in decision.snapshot.criteria}
    for entry in rec.ranking:
        block = text.split(f'id="evidence-{entry.framework}"')[1].split("</details>")[0]
        assert entry.evidence, entry.framework
        for criterion, ev in entry.evidence.items():
            row = block.split(f'data-criterion="{criterion}"')[1].split("</tr>")[0]
            assert html.escape(names[criterion]) in row
            assert f"{ev.value:.2f}" in row
            assert ev.as_of.isoformat() in row
            assert html.escape(ev.rationale) in row
            source = rec.sources[ev.source]
            assert html.escape(source.title) in row
            if source.url:
                assert f'href="{html.escape(source.url)}"' in row
    for excluded in rec.excluded:
        assert html.escape(excluded.reason) in text
    assert rec.verdict is not None and html.escape(rec.verdict.headline) in text
    assert "Rank acceptability" in text and "<svg" in text


def test_embedded_json_cannot_close_the_script() -> None:
    text = _script_json({"rationale": "</script><script>alert(1)</script><!-- & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["rationale"] == "</script><script>alert(1)</script><!-- & more"


def test_html_needs_the_decision_matrix() -> None:
    decision = decision_for(languages=["python"])
    with pytest.raises(DlselectError, match="decision matrix"):
        HtmlFormatter().render(decision.recommendation)
    # A recommendation that is not the decision's (read back from JSON, say) is refused too.
    with pytest.raises(DlselectError, match="decision matrix"):
        HtmlFormatter(decision).render(decision.recommendation.model_copy())


def test_html_output_file_is_written(tmp_path: Path, today: None) -> None:
    out = tmp_path / "report.html"
    run("recommend", *ARGS, "--format", "html", "--output", str(out))
    assert embedded(out.read_text(encoding="utf-8"))["schema_version"] == 1


# --- the page in a real browser ----------------------------------------------------------------


def _browser_missing() -> str | None:
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        return f"Chromium and its driver are not installed (as root: {INSTALL}; or make setup)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options,
                              service=Service(executable_path=str(shutil.which("chromedriver"))))
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: WebDriver, decision: Decision, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page(decision), encoding="utf-8")
    driver.get(path.as_uri())
    assert driver.execute_script("return document.documentElement.dataset.ready") == "true"
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    # Nothing was fetched: the page is one file.
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def weight_vectors(n_criteria: int, raw: list[float]) -> list[list[float]]:
    rng = np.random.default_rng(15)
    vectors = [raw, [1.0] * n_criteria]
    vectors += [[1.0 if j == k else 0.0 for j in range(n_criteria)] for k in range(n_criteria)]
    vectors += [list(rng.uniform(0, 5, n_criteria)) for _ in range(20)]
    # Some weights zero, and a vector on a coarse grid (ties more likely).
    vectors += [list(rng.uniform(0, 5, n_criteria) * (rng.random(n_criteria) < 0.5))
                for _ in range(10)]
    vectors += [list(rng.integers(0, 3, n_criteria).astype(float)) for _ in range(10)]
    return [v for v in vectors if sum(v) > 0]


@pytest.mark.slow
@pytest.mark.parametrize(("kb", "method", "answers"), [
    ("current", "topsis", {"languages": ["python"], "task": "transformer", "hardware": ["gpu"]}),
    ("current", "wsm", {"languages": ["python"], "task": "cnn"}),
    ("2017", "topsis", {"languages": ["python"], "task": "cnn"}),
    ("2017", "wsm", {}),
    # Speed capped at the fit on TPUs (docs/weights.md).
    ("current", "topsis", {"languages": ["python"], "task": "transformer", "hardware": ["tpu"]}),
    # Speed blended with live measurements.
    ("current", "topsis", {"task": "cnn", "hardware": ["cpu"], "probes": CPU_PROBES}),
])
def test_page_scores_equal_the_engine(browser: WebDriver, tmp_path: Path, kb: str, method: str,
                                      answers: dict[str, Any]) -> None:
    decision = decision_for(kb=kb, method=method, **answers)
    matrix = decision.matrix
    evidence = [ev for r in decision.recommendation.ranking for ev in r.evidence.values()]
    if "tpu" in answers.get("hardware", []):
        assert any(ev.capped_from is not None for ev in evidence)
    if "probes" in answers:
        assert any(m.blended for m in decision.recommendation.measured)
    open_page(browser, decision, tmp_path)
    # The initial state is the engine's ranking.
    shown = browser.execute_script(
        "return [...document.querySelectorAll('#ranking tbody tr')].map(r => r.dataset.framework)")
    assert shown == [r.framework for r in decision.recommendation.ranking]
    raw = [decision.raw_weights[c] for c in matrix.criteria]
    vectors = weight_vectors(len(matrix.criteria), raw)
    pages = browser.execute_script(
        "return arguments[0].map(w => window.dlselect.rerank(w))", vectors)
    method_ = decision.recommendation.method
    initial = order(scores_of(matrix, method_), matrix)
    orders_differ = 0
    for vector, result in zip(vectors, pages, strict=True):
        # The engine's weights for these relative weights (weights.derive_weights).
        engine = replace(matrix, weights=np.array(vector) / math.fsum(vector))
        np.testing.assert_array_equal(result["weights"], engine.weights)
        expected = scores_of(engine, method_)
        np.testing.assert_allclose(result["scores"], expected, rtol=0, atol=1e-9)
        assert tuple(result["order"]) == order(expected, engine), vector
        orders_differ += tuple(result["order"]) != initial
    # The vectors are not all alike: some change the ranking.
    assert orders_differ > 0


@pytest.mark.slow
def test_moving_sliders_reranks_like_the_cli(browser: WebDriver, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    monkeypatch.setenv("DLSELECT_TODAY", "2026-12-08")
    decision = decision_for(languages=["python"], task="transformer", hardware=["gpu"],
                            samples=20000)
    open_page(browser, decision, tmp_path)

    def shown() -> list[tuple[str, str]]:
        rows = browser.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")
        return [(r.get_attribute("data-framework") or "",
                 r.find_elements(By.TAG_NAME, "td")[2].text) for r in rows]

    before = shown()
    # Real key presses on the range inputs: Chromium moves the thumb and fires input events.
    browser.find_element(By.ID, "weight-keras").send_keys(Keys.END)
    transformer = browser.find_element(By.ID, "weight-model_hub")
    for _ in range(5):
        transformer.send_keys(Keys.ARROW_LEFT)
    keras = browser.find_element(By.ID, "weight-keras").get_attribute("value")
    kept = transformer.get_attribute("value")
    assert keras == "5" and kept is not None and float(kept) == pytest.approx(2.5)
    after = shown()
    assert [f for f, _ in after] != [f for f, _ in before]

    cli = json.loads(run("recommend", *ARGS, "--weight", f"keras={keras}",
                         "--weight", f"model_hub={kept}", "--format", "json"))
    assert [f for f, _ in after] == [r["framework"] for r in cli["ranking"]]
    assert [s for _, s in after] == [f"{r['score']:.3f}" for r in cli["ranking"]]
    page_scores = browser.execute_script(
        "const c = window.dlselect.current; return c.order.map(i => c.scores[i])")
    np.testing.assert_allclose(page_scores, [r["score"] for r in cli["ranking"]], atol=5e-7)
    command = browser.find_element(By.ID, "command").text
    assert "--weight keras=5" in command and "--weight model_hub=2.5" in command

    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    if os.environ.get("DLSELECT_UPDATE_SCREENSHOT") == "1":
        # The README's picture, made on purpose: review it before committing it.
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(png)

    browser.find_element(By.ID, "reset").click()
    assert shown() == before


@pytest.mark.slow
def test_page_rounds_tie_keys_like_python(browser: WebDriver, tmp_path: Path) -> None:
    open_page(browser, decision_for(languages=["python"]), tmp_path)
    rng = np.random.default_rng(4)
    # Random values, and exact decimal ties at the 13th digit (1/8192 = 0.0001220703125).
    values = [float(x) for x in rng.random(200)] + [1 / 8192, 3 / 8192, 5 / 8192, 0.5, 0.0]
    values += [float(np.round(x, 13)) for x in rng.random(50)]
    page_rounded = browser.execute_script(
        "return arguments[0].map(x => window.dlselect.pyRound(x, 12))", values)
    assert page_rounded == [round(x, 12) for x in values]
    halves = [0.5, 1.5, 2.5, -0.5, 3.4999999, 7.0, 1e9 + 0.5]
    assert browser.execute_script("return arguments[0].map(window.dlselect.rint)",
                                  halves) == [float(np.round(x)) for x in halves]
