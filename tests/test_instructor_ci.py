"""The CI files instructors copy: the GitHub Actions workflow parses and grades with trusted
specs; the Gradescope scripts are valid shell and `run_autograder` really grades."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).parents[1]


def test_the_github_workflow_grades_with_the_trusted_copy() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/grade.yml").read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    runs = [step.get("run", "") for step in steps]
    install = next(r for r in runs if "pip install" in r)
    grade = next(r for r in runs if "grader" in r and "grade" in r)
    assert "./.trusted" in install, "the grader itself comes from the trusted copy"
    assert "--spec-from .trusted" in grade and "--markdown" in grade
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["grade"]["timeout-minutes"] <= 60


def test_the_gradescope_scripts_are_valid_shell() -> None:
    for script in ("setup.sh", "run_autograder"):
        path = REPO / "docs/gradescope" / script
        assert os.access(path, os.X_OK), f"{script} is executable"
        subprocess.run(["bash", "-n", str(path)], check=True)


def test_run_autograder_grades_a_flat_upload(fixture_repo: Path, tmp_path: Path) -> None:
    autograder = tmp_path / "autograder"
    shutil.copytree(fixture_repo, autograder / "source")
    upload = autograder / "submission"
    upload.mkdir()
    (upload / "hostile.py").write_text(
        "def attack():\n    return 'ok'\n\n\ndef fine():\n    return 0\n"
    )
    wrapper = tmp_path / "grader"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, AUTOGRADER=str(autograder), GRADER=str(wrapper))
    proc = subprocess.run(
        ["bash", str(REPO / "docs/gradescope/run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((autograder / "results/results.json").read_text())
    scores = {t["name"]: (t["score"], t["status"]) for t in results["tests"]}
    assert scores["01_hostile: test_attack"] == (2, "passed")
    assert scores["01_hostile: test_after"] == (0, "failed")
    assert scores["02_hanging_spec: test_after"] == (1, "passed"), "every exercise is graded"
