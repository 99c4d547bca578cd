"""The documentation builds with `mkdocs build --strict` and stays complete.

Skipped when the documentation tools are not installed (they are an optional
extra). The docstring examples themselves run as doctests elsewhere in the suite
(`--doctest-modules` over shinbo_jax).
"""

import importlib.util
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest

import shinbo_jax

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC_TOOLS = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _missing_tools() -> list[str]:
    missing = []
    for name in DOC_TOOLS:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent package is missing
            found = False
        if not found:
            missing.append(name)
    return missing


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        pytest.skip(
            f"Documentation tools not installed ({', '.join(missing)}); install "
            "mkdocs, mkdocs-material and mkdocstrings[python] to build the docs."
        )
    folder = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr}"
    return folder


def _first_heading(markdown: pathlib.Path) -> str:
    for line in markdown.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    raise AssertionError(f"{markdown.name} has no heading")


def test_docs_build_strictly(site):
    for page in ("index.html", "getting-started", "method", "api", "results"):
        assert (site / page).exists(), page


@pytest.mark.parametrize("name", ["RESULTS.md", "BENCHMARKS.md"])
def test_repository_reports_are_included(site, name):
    source = ROOT / name
    if not source.exists():
        pytest.skip(f"{name} does not exist yet.")
    page = site / source.stem.lower() / "index.html"
    assert _first_heading(source) in page.read_text(encoding="utf-8")


def test_api_page_documents_every_public_name(site):
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    documented = set(re.findall(r'id="shinbo_jax\.(\w+)"', html))
    public = {
        name
        for name in dir(shinbo_jax)
        if not name.startswith("_") and not inspect.ismodule(getattr(shinbo_jax, name))
    }
    missing = sorted(public - documented)
    assert not missing, f"add these to docs/api.md: {missing}"
