#!/usr/bin/env python3
"""Build the Gradescope autograder zip: `python3 docs/gradescope/make_bundle.py`.

The zip holds `setup.sh` and `run_autograder` at its top level and, beside them, the
repository the grader is installed from and whose specs grade every submission. Gradescope
unpacks it into `/autograder/source`, where a submission could look for it: the reference
solutions (`solutions/`), the known-wrong mutants and test fixtures (`tests/`) and the history
(`.git`) are left out, and so is anything hidden (`.venv`, `.tox`, caches, `.github`),
`__pycache__`, build output, earlier zips and symbolic links. Standard library only; entries
are sorted and dated 1980-01-01 so the same tree always gives the same zip.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("setup.sh", "run_autograder")
LEFT_OUT_AT_TOP = {"solutions", "tests", "build", "dist"}
LEFT_OUT_ANYWHERE = {"__pycache__"}
LEFT_OUT_SUFFIXES = (".egg-info", ".pyc", ".pyo", ".zip")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def kept(relative: Path) -> bool:
    """Whether a path of the repository (relative to its top) goes into the zip."""
    parts = relative.parts
    if parts[0] in LEFT_OUT_AT_TOP:
        return False
    return not any(
        part.startswith(".") or part in LEFT_OUT_ANYWHERE or part.endswith(LEFT_OUT_SUFFIXES)
        for part in parts
    )


def repository_files(repo: Path) -> list[Path]:
    """Every file of ``repo`` that goes into the zip, relative to ``repo``, sorted."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(repo):
        here = Path(folder).relative_to(repo)
        dirs[:] = [d for d in dirs if kept(here / d) and not os.path.islink(Path(folder, d))]
        found.extend(
            here / name
            for name in files
            if kept(here / name) and not os.path.islink(Path(folder, name))
        )
    return sorted(found)


def _add(bundle: zipfile.ZipFile, source: Path, name: str, mode: int) -> None:
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, source.read_bytes())


def make_bundle(repo: Path, output: Path) -> list[str]:
    """Write the autograder zip for ``repo`` to ``output``; the names it holds."""
    if not (repo / "exercises").is_dir():
        raise SystemExit(f"{repo} has no exercises/ folder: not a katas repository")
    files = [f for f in repository_files(repo) if f.as_posix() not in SCRIPTS]
    tmp = output.with_name(output.name + ".part")  # listed first: never a file of its own zip
    with zipfile.ZipFile(tmp, "w") as bundle:
        for script in SCRIPTS:  # the scripts at the top are always this folder's
            _add(bundle, HERE / script, script, 0o755)
        for relative in files:
            source = repo / relative
            mode = 0o755 if os.access(source, os.X_OK) else 0o644
            _add(bundle, source, relative.as_posix(), mode)
        names = bundle.namelist()
    tmp.replace(output)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo", type=Path, default=HERE.parents[1], help="the repository (default: this one)"
    )
    parser.add_argument(
        "--output", type=Path, default=Path("autograder.zip"), help="default: autograder.zip"
    )
    args = parser.parse_args(argv)
    names = make_bundle(args.repo.resolve(), args.output)
    print(f"{args.output}: {len(names)} files; upload it as the autograder on Gradescope")
    return 0


if __name__ == "__main__":
    sys.exit(main())
