"""The course material a student needs is in the repository, and every link to it works.

- No tracked text file names a path outside the repository (the course notes and the design
  catalogue that the first exercises were written from live outside it).
- Every relative Markdown link in the READMEs, ``docs/`` and the exercise READMEs resolves to a
  file of the repository, and every ``#anchor`` to a heading of its target, by GitHub's rules.
- Every course section an exercise names (``seed_section``) has a row in the course index
  (``docs/course/README.md`` and its Chinese twin) pointing to a primer, and the exercise's
  READMEs link to that primer section.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from grader import readme_refs
from grader.catalog import Exercise, load_catalog

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "docs" / "course"
INDEX = {"en": COURSE / "README.md", "zh": COURSE / "README.zh-CN.md"}
EXERCISE_README = {"en": "README.md", "zh": "README.zh-CN.md"}

# Written in pieces so that this file does not match its own patterns.
OUTSIDE = (
    "../" + "shared/",
    "shared/" + "seed",
    "multitasking" + "-notes",
    "DESIGN" + ".md",
)
TEXT_SUFFIXES = {".md", ".toml", ".py", ".ini", ".cfg", ".yml", ".yaml", ".sh"}
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    ".tox",
    ".grader",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
}
FIXTURES = Path("tests", "fixtures")
# Untracked files count (they are about to be committed); ignored ones do not.
GIT_LS_FILES = [
    *("git", "-C", str(REPO), "ls-files", "-z"),
    *("--cached", "--others", "--exclude-standard"),
]

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_LINK = re.compile(
    r"\[(?:[^\]\\]|\\.)*\]\(\s*<?(?P<target>[^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)"
)
_REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?P<target>\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_PRIMER_LINK = re.compile(r"\]\((?P<file>\d\d-[a-z0-9-]+(?:\.zh-CN)?\.md)#(?P<anchor>[^)\s]+)\)")


# --- which files ---------------------------------------------------------------------------


def tracked_files() -> list[Path]:
    """The repository's files that git tracks or would track (new files not yet added count:
    they are about to be committed); a walk of the tree where git cannot answer.

    git refuses a repository owned by another user (``tox -e user`` runs as nobody), and a
    copy without ``.git`` has no index: the walk skips virtualenvs, caches and build output.
    """
    try:
        out = subprocess.run(
            GIT_LS_FILES,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return sorted(_walk(REPO))
    return sorted(REPO / name for name in out.decode("utf-8").split("\0") if name)


def _walk(folder: Path) -> Iterator[Path]:
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name not in SKIPPED_DIRS and not entry.name.endswith(".egg-info"):
                yield from _walk(entry)
        elif entry.is_file():
            yield entry


def _outside_fixtures(path: Path) -> bool:
    return FIXTURES not in path.relative_to(REPO).parents


def text_files() -> list[Path]:
    return [
        p
        for p in tracked_files()
        if p.suffix in TEXT_SUFFIXES and p.is_file() and _outside_fixtures(p)
    ]


def markdown_files() -> list[Path]:
    """README*.md at the top, every .md under docs/, every README*.md under exercises/."""
    found = [p for p in REPO.glob("README*.md")]
    found += [p for p in (REPO / "docs").rglob("*.md")]
    found += [p for p in (REPO / "exercises").rglob("README*.md")]
    return sorted(p for p in found if p.is_file())


# --- Markdown: links and GitHub anchors ----------------------------------------------------


def links(markdown: str) -> list[tuple[int, str]]:
    """(line number, target) of every inline and reference link outside code."""
    found = []
    for number, line in readme_refs.prose_lines(markdown):
        line = _CODE_SPAN.sub("code", line)
        found += [(number, m.group("target")) for m in _INLINE_LINK.finditer(line)]
        reference = _REFERENCE_LINK.match(line)
        if reference:
            found.append((number, reference.group("target")))
    return found


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lowercased, punctuation and symbols
    dropped (letters of every script, digits, '_' and '-' kept), each space a '-'."""
    text = _CODE_SPAN.sub(lambda m: m.group(2).strip(), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("*", "")
    kept = (
        c
        for c in text.strip().lower()
        if c in " -" or unicodedata.category(c)[0] in "LMN" or unicodedata.category(c) == "Pc"
    )
    return "".join(kept).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading anchor of a Markdown file; a repeated one gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in readme_refs.prose_lines(markdown):
        heading = _HEADING.match(line)
        if not heading:
            continue
        slug = github_slug(heading.group("text"))
        if slug in seen:
            seen[slug] += 1
            found.add(f"{slug}-{seen[slug]}")
        else:
            seen[slug] = 0
            found.add(slug)
    return found


def broken_links(path: Path, root: Path = REPO) -> list[str]:
    """A line for each relative link of ``path`` whose file or heading does not exist
    inside ``root``."""
    problems = []
    where = path.relative_to(root)
    for number, target in links(path.read_text(encoding="utf-8")):
        if not target or _SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        try:
            resolved.relative_to(root)
        except ValueError:
            problems.append(f"{where}:{number}: {target} points outside the repository")
            continue
        if not resolved.exists():
            problems.append(f"{where}:{number}: {target}: no such file")
            continue
        if anchor and resolved.suffix == ".md":
            known = anchors(resolved.read_text(encoding="utf-8"))
            if unquote(anchor) not in known:
                problems.append(
                    f"{where}:{number}: {target}: {resolved.relative_to(root)} has no heading "
                    f"with the anchor #{unquote(anchor)}"
                )
    return problems


# --- the course index ----------------------------------------------------------------------


def course_index(lang: str) -> dict[str, tuple[str, str]]:
    """Course section name -> (primer file, anchor), from the index's table rows."""
    rows: dict[str, tuple[str, str]] = {}
    for _, line in readme_refs.prose_lines(INDEX[lang].read_text(encoding="utf-8")):
        if not line.startswith("|"):
            continue
        cells = line.strip().strip("|").split("|")
        link = _PRIMER_LINK.search(line)
        if link and len(cells) >= 2:
            rows[cells[0].strip()] = (link.group("file"), unquote(link.group("anchor")))
    return rows


def seed_sections(seed_section: str) -> list[str]:
    return [name.strip() for name in seed_section.split(";") if name.strip()]


# --- the tests -----------------------------------------------------------------------------


def test_no_file_refers_to_material_outside_the_repository() -> None:
    found = []
    for path in text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for needle in OUTSIDE:
                if needle in line:
                    found.append(f"{path.relative_to(REPO)}:{number}: {needle}")
    assert not found, (
        "these lines refer to files a clone of the repository does not have; point to the "
        "course primers in docs/course/ instead:\n" + "\n".join(found)
    )


def test_the_scan_covers_the_readmes_and_the_exercises() -> None:
    scanned = {p.relative_to(REPO) for p in text_files()}
    assert Path("README.md") in scanned
    assert Path("docs", "course", "README.md") in scanned
    assert any(p.parts[0] == "exercises" and p.name == "exercise.toml" for p in scanned)
    assert not any(FIXTURES in p.parents for p in scanned)


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(path: Path) -> None:
    problems = broken_links(path)
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_the_link_check_finds_links_and_anchors() -> None:
    sample = (
        "# 04 · Zombie `avoidance`: wait!\n\n## 第一部分：回收 `os._exit`\n\n## Part 1\n\n"
        "## Part 1\n\n```\n[not](a-link.md)\n```\n\nSee [x](../a.md#b), `[y](code.md)`, "
        '[z](https://example.org), ![img](p.png "t").\n\n[ref]: notes.md#c\n'
    )
    assert links(sample) == [
        (13, "../a.md#b"),
        (13, "https://example.org"),
        (13, "p.png"),
        (15, "notes.md#c"),
    ]
    assert anchors(sample) == {
        "04--zombie-avoidance-wait",
        "第一部分回收-os_exit",
        "part-1",
        "part-1-1",
    }


def test_the_link_check_reports_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "target.md").write_text("# Target\n\n## 僵尸进程\n", encoding="utf-8")
    page = root / "docs" / "page.md"
    page.write_text(
        "# Probe\n\n[gone](no-such-file.md) [bad](target.md#no-such-heading) "
        "[out](../../outside.md) [ok](target.md#僵尸进程) [encoded](target.md#%E5%83%B5%E5%B0%B8"
        "%E8%BF%9B%E7%A8%8B) [self](#probe) [folder](../docs/)\n",
        encoding="utf-8",
    )
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    problems = broken_links(page, root)
    assert len(problems) == 3, problems
    assert "no such file" in problems[0]
    assert "#no-such-heading" in problems[1]
    assert "outside the repository" in problems[2]


def test_every_part_has_a_primer_in_both_languages() -> None:
    english = sorted(p.name for p in COURSE.glob("[0-9][0-9]-*.md") if ".zh-CN" not in p.name)
    chinese = sorted(p.name for p in COURSE.glob("[0-9][0-9]-*.zh-CN.md"))
    assert english, "docs/course/ holds no primer"
    assert chinese == [name.replace(".md", ".zh-CN.md") for name in english]
    for lang, index in INDEX.items():
        text = index.read_text(encoding="utf-8")
        for name in english:
            primer = name if lang == "en" else name.replace(".md", ".zh-CN.md")
            assert f"]({primer})" in text, f"{index.relative_to(REPO)} does not list {primer}"


def test_the_index_rows_point_to_primers_of_their_language() -> None:
    for lang in INDEX:
        rows = course_index(lang)
        assert rows, f"no course section rows in {INDEX[lang].relative_to(REPO)}"
        for name, (primer, _) in rows.items():
            assert primer.endswith(".zh-CN.md") == (lang == "zh"), (
                f"{INDEX[lang].relative_to(REPO)}: {name!r} points to {primer}"
            )
    assert course_index("en").keys() == course_index("zh").keys(), (
        "the English and the Chinese index name different course sections"
    )


EXERCISES = load_catalog(REPO / "exercises")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.name)
def test_each_seed_section_maps_to_a_primer_linked_from_the_readmes(exercise: Exercise) -> None:
    names = seed_sections(exercise.seed_section)
    assert names, f"{exercise.name}: seed_section is empty"
    for lang, readme_name in EXERCISE_README.items():
        rows = course_index(lang)
        readme = exercise.folder / readme_name
        text = readme.read_text(encoding="utf-8")
        for name in names:
            assert name in rows, (
                f"{exercise.name}/exercise.toml: seed_section {name!r} is not a course section "
                f"of {INDEX[lang].relative_to(REPO)}; use a name from its first column (several "
                "separated by '; ') or add a row that points to a primer heading"
            )
            primer, anchor = rows[name]
            link = f"../../docs/course/{primer}#{anchor}"
            assert f"]({link})" in text, (
                f"{readme.relative_to(REPO)} does not link to the primer of {name!r}: "
                f"add a link to {link}"
            )
