"""The CI files instructors copy: the GitHub Actions workflow grades with trusted specs under
sudo, and its steps run as written; the Gradescope bundle leaves out what a submission must
not see, its scripts are valid shell, and `run_autograder` grades what the bundle holds."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[1]
GRADESCOPE = REPO / "docs/gradescope"
sys.path.insert(0, str(GRADESCOPE))
import make_bundle  # noqa: E402

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


@pytest.mark.parametrize("name", ["grade.yml", "grade-class.yml"])
def test_no_checkout_leaves_its_token_where_a_submission_could_read_it(name: str) -> None:
    """actions/checkout writes its token into the checkout's .git/config unless told not to;
    a class repository's token there would let a submission read every student's work."""
    flow = yaml.safe_load((REPO / ".github/workflows" / name).read_text())
    steps = [step for job in flow["jobs"].values() for step in job["steps"]]
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts, name
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, (name, step)


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
    every = sorted(p.name for p in (fixture_repo / "exercises").iterdir())
    assert [e["name"] for e in graded["exercises"]] == every
    assert summary.is_file(), "GITHUB_STEP_SUMMARY reaches the grader through sudo"
    assert "01_hostile" in summary.read_text(), "the points table reaches the run summary"
    assert not list(workspace.glob("grade.*")), "nothing is written into the student's checkout"


def test_the_gradescope_scripts_are_valid_shell() -> None:
    for script in ("setup.sh", "run_autograder"):
        path = GRADESCOPE / script
        assert os.access(path, os.X_OK), f"{script} is executable"
        subprocess.run(["bash", "-n", str(path)], check=True)


def test_setup_removes_what_a_hand_made_zip_would_ship() -> None:
    lines = (GRADESCOPE / "setup.sh").read_text().splitlines()
    removal = next(i for i, line in enumerate(lines) if line.startswith("rm -rf "))
    install = next(i for i, line in enumerate(lines) if "pip install" in line)
    removed = shlex.split(lines[removal])[2:]
    assert removed == ["$source_dir/solutions", "$source_dir/tests", "$source_dir/.git"]
    assert removal < install
    assert "source_dir=/autograder/source" in lines


def test_the_bundle_leaves_out_solutions_tests_and_history(tmp_path: Path) -> None:
    output = tmp_path / "autograder.zip"
    assert make_bundle.main(["--output", str(output)]) == 0
    with zipfile.ZipFile(output) as bundle:
        infos = {info.filename: info for info in bundle.infolist()}
    names = set(infos)
    for script in ("setup.sh", "run_autograder"):
        assert script in names, f"{script} at the top level"
        assert (infos[script].external_attr >> 16) & 0o111, f"{script} is executable"
    tops = {name.split("/", 1)[0] for name in names}
    assert not tops & {"solutions", "tests", ".git", ".github", ".venv", ".tox"}, tops
    assert not [n for n in names if "__pycache__" in n or ".egg-info" in n]
    assert {"pyproject.toml", "grader/__init__.py", "grader/session.ini"} <= names
    specs = {n for n in names if re.fullmatch(r"exercises/\d\d_\w+/test_\w+\.py", n)}
    assert len(specs) == len(list(REPO.glob("exercises/[0-9][0-9]_*/test_*.py"))) > 0


def test_the_bundle_skips_caches_builds_and_links(fixture_repo: Path, tmp_path: Path) -> None:
    junk = [
        ".venv/bin/python", ".tox/py312/x", ".git/HEAD", "build/lib/x.py", "dist/x.whl",
        "katas.egg-info/PKG-INFO", "exercises/01_hostile/__pycache__/hostile.pyc",
        ".pytest_cache/v", "autograder.zip", "tests/mutants/01_hostile/evil.py",
    ]  # fmt: skip
    for name in junk:
        (fixture_repo / name).parent.mkdir(parents=True, exist_ok=True)
        (fixture_repo / name).write_text("x")
    (fixture_repo / "exercises/link.py").symlink_to(
        fixture_repo / "solutions/01_hostile/hostile.py"
    )
    output = fixture_repo / "autograder.zip"  # inside the repository: never zips itself
    names = make_bundle.make_bundle(fixture_repo, output)
    assert names[:2] == ["setup.sh", "run_autograder"]
    assert sorted(names[2:]) == sorted(
        str(p.relative_to(fixture_repo))
        for p in (fixture_repo / "exercises").rglob("*.*")
        if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts
    )


def test_run_autograder_grades_a_flat_upload(fixture_repo: Path, tmp_path: Path) -> None:
    """The bundle, unpacked where Gradescope puts it, grades with no solutions/ or tests/."""
    autograder = tmp_path / "autograder"
    bundle = tmp_path / "autograder.zip"
    make_bundle.make_bundle(fixture_repo, bundle)
    with zipfile.ZipFile(bundle) as unpacked:
        unpacked.extractall(autograder / "source")
    assert not (autograder / "source/solutions").exists()
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
        ["bash", str(autograder / "source/run_autograder")],
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


def test_the_class_workflow_fans_out_over_shards_and_merges_them() -> None:
    """The matrix and SHARDS agree, every shard is graded as root with trusted specs and keeps
    its records in the cache, and the merge gathers exactly the artifacts the shards upload.
    (tests/test_batch.py runs the same fan-out here, a grader process per shard.)"""
    flow = yaml.safe_load((REPO / ".github/workflows/grade-class.yml").read_text())
    grade, merge = flow["jobs"]["grade"], flow["jobs"]["merge"]
    shards = grade["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(flow["env"]["SHARDS"]) + 1))
    assert grade["strategy"]["fail-fast"] is False and merge["needs"] == "grade"
    runs = [s["run"] for s in grade["steps"] if "run" in s]
    batch = next(r for r in runs if " batch " in r)
    assert f"sudo {SUDO_GRADER} --root . batch" in batch and "--spec-from ." in batch
    assert '--shard "${{ matrix.shard }}/$SHARDS"' in batch
    assert '--out "$RUNNER_TEMP/grades"' in batch and "chown" in batch
    restore = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/cache/"))
    save = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/cache/save"))
    assert restore["with"]["path"] == save["with"]["path"] == "${{ runner.temp }}/grades"
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert save["if"] == "always()"
    upload = next(s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload"))
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download"))
    assert upload["with"]["name"] == "grades-${{ matrix.shard }}"
    assert download["with"]["pattern"] == "grades-*"
    merged = next(s["run"] for s in merge["steps"] if " merge " in s.get("run", ""))
    assert '"$RUNNER_TEMP"/shards/grades-*' in merged and "--spec-from ." in merged
    for script in [*runs, merged]:  # valid shell as written
        subprocess.run(["bash", "-n", "-c", script], check=True)
    assert not any("${{ inputs." in script for script in runs), "inputs come as variables"


def test_the_class_workflow_passes_each_student_to_regrade_as_one_argument(
    tmp_path: Path,
) -> None:
    """The shard's script run with stand-ins for sudo and the grader, which print the
    arguments the grader would get; an input that looks like shell stays one argument."""
    flow = yaml.safe_load((REPO / ".github/workflows/grade-class.yml").read_text())
    step = next(s for s in flow["jobs"]["grade"]["steps"] if " batch " in s.get("run", ""))
    script = step["run"].replace("${{ matrix.shard }}", "3")
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    # sudo runs the grader, then chown: the stand-in keeps the grader's arguments.
    sudo = '#!/bin/sh\ncase "$1" in */grader) shift; printf "%s\\n" "$@" > "$ARGS";; esac\n'
    (bin_ / "sudo").write_text(sudo)
    (bin_ / "grader").write_text("#!/bin/sh\n")
    for tool in bin_.iterdir():
        tool.chmod(0o755)
    inputs = {"CLASS_FOLDER": "my class", "REGRADE": "alice  张三 * $(touch pwned)"}
    env = dict(os.environ, **inputs, SHARDS="4", RUNNER_TEMP=str(tmp_path))
    env["ARGS"] = str(tmp_path / "a")
    env["PATH"] = f"{bin_}:{env['PATH']}"
    subprocess.run(["bash", "-e", "-c", script], env=env, cwd=tmp_path, check=True)
    args = (tmp_path / "a").read_text(encoding="utf-8").splitlines()
    assert args[args.index("batch") + 1] == ".class/my class"
    again = [args[i + 1] for i, arg in enumerate(args) if arg == "--regrade"]
    assert again == ["alice", "张三", "*", "$(touch", "pwned)"]  # no file name for the *
    assert not (tmp_path / "pwned").exists()
    assert args[args.index("--shard") + 1] == "3/4"
