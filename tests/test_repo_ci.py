"""The repository's own CI: every supported Python is tested, and verify runs under load on
the oldest and the newest of them."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[1]
PYTHONS = ["py310", "py311", "py312", "py313"]


def tox() -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "tox.ini")
    return config


def env_list(config: configparser.ConfigParser) -> list[str]:
    """The envs a plain ``tox`` runs."""
    return [e.strip() for e in config["tox"]["env_list"].split(",")]


def test_tox_runs_every_python_and_verify_under_load_on_the_oldest_and_newest() -> None:
    config = tox()
    envs = env_list(config)
    for env in [*PYTHONS, "lint", "verify-py310", "verify-py313", "solutions"]:
        assert env in envs, env
    # A plain `tox` (the README's test command) must fail, not pass, without one of them.
    assert config["tox"].get("skip_missing_interpreters", "false").strip() == "false"
    for env, python in (("verify-py310", "py310"), ("verify-py313", "py313")):
        section = config[f"testenv:{env}"]
        assert section["base_python"] == python
        assert "grader verify" in section["commands"] and "--load" in section["commands"]


def test_one_env_runs_the_tests_with_the_oldest_dependencies_allowed() -> None:
    """pyproject.toml sets a minimum for each dependency; the other envs get the newest.
    ``oldest`` pins the first release of each minimum's line, so a test that passes only on
    a newer one fails CI (two did: pytest 9.1's get_config, rich 13.0's style for inline
    code), and raising a minimum, or adding a dependency, moves the pins with it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    config = tox()
    assert "oldest" in env_list(config)
    deps = config["testenv:oldest"]["deps"].split()
    pins = dict(dep.split("==") for dep in deps if "==" in dep)
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    minimums = dict(
        dep.split(";")[0].strip().split(">=")
        for dep in project["project"]["dependencies"]
        if ">=" in dep
    )
    assert {"pytest", "rich", "psutil"} <= minimums.keys(), minimums
    for name, minimum in minimums.items():
        assert name in pins, f"oldest does not pin {name}"
        assert pins[name].startswith(minimum + "."), (name, pins[name], minimum)


def test_ci_fails_when_a_python_is_missing(tmp_path: Path) -> None:
    """Only python3.10-3.12 are on PATH (fakes) and no python3: the run stops at the check.
    (Were the check gone, `python3 -m pip install tox` would fail too: nothing runs tox.)"""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for minor in (10, 11, 12):
        fake = bin_dir / f"python3.{minor}"
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
    for tool in ("dirname",):
        os.symlink(
            next(Path(d, tool) for d in ("/usr/bin", "/bin") if Path(d, tool).exists()),
            bin_dir / tool,
        )
    run = subprocess.run(
        ["/bin/bash", str(REPO / ".ci/run")],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "not found on PATH: python3.13" in run.stderr, run.stderr


def test_ci_makes_the_browser_test_run_where_it_installed_a_browser() -> None:
    """CI as root installs Debian's headless Chromium and says so to the tests through tox:
    there the report's browser test fails instead of skipping when no browser is found."""
    assert "GRADER_REQUIRE_BROWSER" in tox()["testenv"]["pass_env"]
    script = (REPO / ".ci/run").read_text()
    assert "apt-get install" in script and "chromium-headless-shell" in script
    assert script.index("GRADER_REQUIRE_BROWSER=1") < script.index("\ntox ")


def test_a_red_run_ends_with_the_tests_the_solutions_failed(tmp_path: Path) -> None:
    """CI's log is read from its end: after a red tox run, .ci/run prints there the tests
    that a reference solution failed, from the JSON the solutions env writes."""
    assert "--json {toxworkdir}/solutions.json" in tox()["testenv:solutions"]["commands"]
    script = (REPO / ".ci/run").read_text()
    assert script.index("\ntox ") < script.index(".ci/failed_tests.py .tox/solutions.json")
    results = {
        "exercises": [
            {
                "name": "09_pipe",
                "tests": [
                    {"name": "test_fine", "status": "passed", "message": ""},
                    {
                        "name": "test_eof",
                        "status": "timeout",
                        "message": "the reader never saw EOF",
                        "output": "stack of every thread",
                        "duration_s": 10.1,
                    },
                ],
            }
        ]
    }
    path = tmp_path / "solutions.json"
    path.write_text(json.dumps(results))
    run = subprocess.run(
        [sys.executable, str(REPO / ".ci/failed_tests.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0
    assert "09_pipe::test_eof: timeout" in run.stdout
    assert "the reader never saw EOF" in run.stdout and "stack of every thread" in run.stdout
    assert "test_fine" not in run.stdout


def test_a_red_run_ends_with_the_weak_specs_of_every_verify_env(tmp_path: Path) -> None:
    """Tox runs verify on 3.10, then 3.13: the second's output hides the first's summary, so
    each writes its verdicts to a JSON file and .ci/run prints the weak ones at the end."""
    config = tox()
    for env in ("verify-py310", "verify-py313"):
        assert "--json {toxworkdir}/{envname}.json" in config[f"testenv:{env}"]["commands"]
    script = (REPO / ".ci/run").read_text()
    assert script.index("\ntox ") < script.index(".ci/weak_specs.py")
    assert "verify-*.json" in script
    weak = {
        "finished": True,
        "layout_problems": [],
        "verdicts": [
            {"exercise": "01_hostile", "ok": True, "summary": [], "problems": []},
            {
                "exercise": "05_sigchld_reaper",
                "ok": False,
                "summary": [],
                "problems": ["solution run 1: test_reaped failed: a zombie was left"],
                "failures": [
                    {
                        "run": "solution run 1",
                        "name": "test_reaped",
                        "status": "failed",
                        "message": "a zombie was left\nfull story",
                        "output": "stack of every thread",
                        "duration_s": 3.2,
                    }
                ],
            },
        ],
    }
    first, second = tmp_path / "verify-py310.json", tmp_path / "verify-py313.json"
    first.write_text(json.dumps(weak))
    second.write_text(json.dumps({**weak, "verdicts": weak["verdicts"][:1]}))
    killed = tmp_path / "verify-killed.json"
    killed.write_text(json.dumps({"finished": False, "layout_problems": [], "verdicts": []}))
    run = subprocess.run(
        [sys.executable, str(REPO / ".ci/weak_specs.py"), str(first), str(second), str(killed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0
    assert f"{first}: WEAK 05_sigchld_reaper" in run.stdout
    assert "solution run 1: test_reaped: failed" in run.stdout
    assert "full story" in run.stdout and "stack of every thread" in run.stdout
    assert "01_hostile" not in run.stdout and str(second) not in run.stdout
    assert f"{killed}: grader verify did not finish" in run.stdout
    assert "none:" not in run.stdout
    missing = subprocess.run(
        [sys.executable, str(REPO / ".ci/weak_specs.py"), str(tmp_path / "absent.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "no verdicts to show" in missing.stdout and "none:" not in missing.stdout
    clean = subprocess.run(
        [sys.executable, str(REPO / ".ci/weak_specs.py"), str(second)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert clean.stdout.startswith("none: every verify run found every spec strong")
