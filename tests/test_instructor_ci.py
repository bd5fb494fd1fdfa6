"""The CI files instructors copy: the GitHub Actions workflow grades with trusted specs under
sudo, and its steps run as written; the Gradescope scripts are valid shell and
`run_autograder` really grades."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[1]
WORKFLOW = yaml.safe_load((REPO / ".github/workflows/grade.yml").read_text())
STEPS = WORKFLOW["jobs"]["grade"]["steps"]
RUNS = [step["run"] for step in STEPS if "run" in step]
SUDO_GRADER = '"$(command -v grader)"'
GRADE_RUN = next(r for r in RUNS if re.search(r"\sgrade\s", r))

# sudo as a GitHub-hosted runner has it, for the steps run here: a fresh environment with
# sudo's secure PATH (a bare `grader` is not found), plus only what --preserve-env names.
FAKE_SUDO = """#!/usr/bin/env bash
keep=()
while [ "${1#-}" != "$1" ]; do
    case "$1" in
        --preserve-env=*) IFS=, read -r -a names <<< "${1#--preserve-env=}"
            for name in "${names[@]}"; do keep+=("$name=${!name}"); done ;;
        *) echo "fake sudo: option $1 not expected" >&2; exit 1 ;;
    esac
    shift
done
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    HOME=/root LANG=C.UTF-8 "${keep[@]}" "$@"
"""


def test_the_github_workflow_grades_with_the_trusted_copy() -> None:
    install = next(r for r in RUNS if "pip install" in r)
    grade = GRADE_RUN
    assert "./.trusted" in install, "the grader itself comes from the trusted copy"
    assert "--spec-from .trusted" in grade and "--markdown" in grade
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert WORKFLOW["jobs"]["grade"]["timeout-minutes"] <= 60


def test_the_grader_runs_as_root_so_sandboxes_get_their_own_uid() -> None:
    calls = [line for run in RUNS for line in run.splitlines() if "grader" in line]
    calls = [c for c in calls if "pip install" not in c]
    assert calls, "the workflow runs the grader"
    for call in calls:  # sudo resets PATH: the grader is named by its full path
        assert call.lstrip().startswith("sudo ") and SUDO_GRADER in call, call
    doctor = RUNS.index(next(r for r in RUNS if f"{SUDO_GRADER} doctor" in r))
    grade = RUNS.index(GRADE_RUN)
    assert doctor < grade, "the isolation table comes before the grading"
    assert "--preserve-env=GITHUB_STEP_SUMMARY" in RUNS[grade]


def test_the_results_are_uploaded_from_outside_the_checkout() -> None:
    grade = GRADE_RUN
    written = re.findall(r"--(?:markdown|junit|json) (\S+)", grade)
    assert len(written) == 3 and all(p.startswith('"$RUNNER_TEMP/grade/') for p in written)
    handed_back = next(s for s in STEPS if "chown" in s.get("run", ""))
    upload = next(s for s in STEPS if s.get("uses", "").startswith("actions/upload-artifact"))
    assert handed_back["if"] == upload["if"] == "always()"
    assert STEPS.index(handed_back) < STEPS.index(upload)
    assert upload["with"]["path"].rstrip("/") == "${{ runner.temp }}/grade"


def test_the_workflow_steps_run_as_written(fixture_repo: Path, tmp_path: Path) -> None:
    """The doctor, grade and chown steps, run by bash as the runner would, with sudo's reset
    environment: the grader is found, grades, fills the step summary, and the results end up
    where the upload step looks, owned by the runner user."""
    bin_dir = Path(sys.executable).parent
    if shutil.which("grader", path=str(bin_dir)) is None:
        pytest.skip("no grader script beside this Python")
    workspace = tmp_path / "workspace"
    shutil.copytree(fixture_repo, workspace)  # the submission: untouched stubs
    shutil.copytree(fixture_repo, workspace / ".trusted")
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "sudo").write_text(FAKE_SUDO)
    (fake / "sudo").chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    summary = tmp_path / "step-summary.md"
    env = dict(
        os.environ,
        PATH=os.pathsep.join([str(fake), str(bin_dir), os.environ.get("PATH", "")]),
        RUNNER_TEMP=str(runner_temp),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    outputs = []
    for run in RUNS:
        if "pip install" in run:
            continue  # the grader is installed already
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert proc.returncode == 0, f"{run}\n{proc.stdout}{proc.stderr}"
        outputs.append(proc.stdout)
    assert "What a submission can reach" in outputs[0]
    upload = next(s for s in STEPS if s.get("uses", "").startswith("actions/upload-artifact"))
    folder = Path(upload["with"]["path"].replace("${{ runner.temp }}", str(runner_temp)))
    found = sorted(p.name for p in folder.iterdir())
    assert found == ["grade.json", "grade.md", "grade.xml"]
    for path in folder.iterdir():
        assert path.stat().st_uid == os.getuid() and os.access(path, os.R_OK), path
    graded = json.loads((folder / "grade.json").read_text())
    assert [e["name"] for e in graded["exercises"]] == ["01_hostile", "02_hanging_spec", "03_echo"]
    assert summary.is_file(), "GITHUB_STEP_SUMMARY reaches the grader through sudo"
    assert "01_hostile" in summary.read_text(), "the points table reaches the run summary"
    assert not list(workspace.glob("grade.*")), "nothing is written into the student's checkout"


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
