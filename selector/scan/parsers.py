"""What each kind of file says, read as text with the standard library only: nothing here
imports, runs or evaluates anything from the repository.

Each parser turns a file's text into observations ``(kind, value, line, seen)``: ``kind`` is
what the signals table matches on (docs/scan.md), ``value`` the name or text matched, ``line``
the 1-based line it came from and ``seen`` what the evidence line shows.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Observation:
    kind: str
    value: str
    line: int
    seen: str


Parser = Callable[[str], Iterator[Observation]]

_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([A-Za-z_][\w.]*"
                     r"(?:\s*(?:as\s+\w+\s*)?,\s*[A-Za-z_][\w.]*)*))")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_INDEX_URL = re.compile(r"(?:--(?:extra-)?index-url|--find-links|-[if])[=\s]+(\S+)")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE)
_PACKAGE_REFERENCE = re.compile(r"<PackageReference\s+[^>]*Include\s*=\s*\"([^\"]+)\"",
                                re.IGNORECASE)


def shown(text: str, limit: int = 120) -> str:
    """A line of the repository as an evidence line shows it: stripped, printable, short."""
    text = text.strip()
    if not text.isprintable():
        text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalise(name: str) -> str:
    """A Python package name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def line_of(text: str, needle: str) -> tuple[int, str]:
    """The first line that holds ``needle`` (a name read from a parsed document, which keeps
    no line numbers), and that line; line 1 when none does."""
    lowered = needle.lower()
    for number, line in enumerate(text.splitlines(), 1):
        if lowered in line.lower():
            return number, line
    return 1, needle


def python_imports(text: str) -> Iterator[Observation]:
    for number, line in enumerate(text.splitlines(), 1):
        match = _IMPORT.match(line)
        if match is None:
            continue
        names = [match.group(1)] if match.group(1) else [
            part.split()[0] for part in match.group(2).split(",") if part.strip()]
        for name in dict.fromkeys(n.split(".")[0] for n in names):
            yield Observation("python-import", name, number, shown(line))


def _requirement(kind: str, spec: str, number: int, line: str) -> Iterator[Observation]:
    match = _REQUIREMENT.match(spec)
    if match is None:
        return
    name = normalise(match.group(1))
    yield Observation(kind, name, number, shown(line))
    for extra in (match.group(2) or "").split(","):
        if extra.strip():
            yield Observation(kind, f"{name}[{extra.strip().lower()}]", number, shown(line))


def requirements(text: str) -> Iterator[Observation]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        for url in _INDEX_URL.findall(line):
            yield Observation("pip-index", url, number, shown(raw))
        if line.startswith("-"):
            continue
        yield from _requirement("pypi", line, number, raw)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def pyproject(text: str) -> Iterator[Observation]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return
    project = _table(data, "project")
    specs = [*_strings(project.get("dependencies", [])),
             *_strings(project.get("optional-dependencies", {})),
             *_strings(data.get("dependency-groups", {}))]
    poetry = _table(_table(data, "tool"), "poetry")
    for table in (poetry.get("dependencies"), poetry.get("dev-dependencies")):
        if isinstance(table, dict):
            specs += [k for k in table if isinstance(k, str)]
    for spec in dict.fromkeys(specs):
        match = _REQUIREMENT.match(spec)
        if match is not None:
            number, line = line_of(text, match.group(1))
            yield from _requirement("pypi", spec, number, line)


def setup_cfg(text: str) -> Iterator[Observation]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    specs: list[str] = []
    if parser.has_option("options", "install_requires"):
        specs += parser.get("options", "install_requires").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            specs += value.splitlines()
    for spec in dict.fromkeys(s.strip() for s in specs if s.strip()):
        match = _REQUIREMENT.match(spec)
        if match is not None:
            number, line = line_of(text, match.group(1))
            yield from _requirement("pypi", spec, number, line)


def package_json(text: str) -> Iterator[Observation]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    if not isinstance(data, dict):
        return
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        table = data.get(key)
        if isinstance(table, dict):
            for name in table:
                number, line = line_of(text, f'"{name}"')
                yield Observation("npm", name.lower(), number, shown(line))


def dockerfile(text: str) -> Iterator[Observation]:
    for number, line in enumerate(text.splitlines(), 1):
        match = _FROM.match(line)
        if match is not None:
            yield Observation("docker-image", match.group(1).lower(), number, shown(line))
        for url in _INDEX_URL.findall(line):
            yield Observation("pip-index", url, number, shown(line))


def cargo_toml(text: str) -> Iterator[Observation]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return
    tables = [data.get(k) for k in ("dependencies", "dev-dependencies", "build-dependencies")]
    targets = data.get("target")
    if isinstance(targets, dict):
        for spec in targets.values():
            if isinstance(spec, dict):
                tables += [spec.get("dependencies"), spec.get("dev-dependencies")]
    for table in tables:
        if isinstance(table, dict):
            for name in table:
                number, line = line_of(text, name)
                yield Observation("cargo", name.lower(), number, shown(line))


def csproj(text: str) -> Iterator[Observation]:
    for number, line in enumerate(text.splitlines(), 1):
        for name in _PACKAGE_REFERENCE.findall(line):
            yield Observation("nuget", name.lower(), number, shown(line))


def lines(kind: str) -> Parser:
    """Every non-blank line of the file, for signals that match text within a line (Gradle,
    CocoaPods, SwiftPM, CMake, YAML manifests)."""

    def parse(text: str) -> Iterator[Observation]:
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if stripped and not stripped.startswith(("#", "//")):
                yield Observation(kind, stripped.lower(), number, shown(line))

    return parse


#: Which parser reads a file, by the file's name (shell patterns, first match wins).
PARSERS: tuple[tuple[str, Parser], ...] = (
    ("*.py", python_imports),
    ("requirements*.txt", requirements),
    ("pyproject.toml", pyproject),
    ("setup.cfg", setup_cfg),
    ("package.json", package_json),
    ("Dockerfile", dockerfile),
    ("Dockerfile.*", dockerfile),
    ("*.Dockerfile", dockerfile),
    ("Containerfile", dockerfile),
    ("*.yaml", lines("yaml")),
    ("*.yml", lines("yaml")),
    ("build.gradle", lines("gradle")),
    ("build.gradle.kts", lines("gradle")),
    ("libs.versions.toml", lines("gradle")),
    ("Podfile", lines("cocoapod")),
    ("Package.swift", lines("swift-package")),
    ("Cargo.toml", cargo_toml),
    ("*.csproj", csproj),
    ("CMakeLists.txt", lines("cmake")),
)


def parser_for(name: str) -> Parser | None:
    for pattern, parser in PARSERS:
        if fnmatchcase(name, pattern):
            return parser
    return None
