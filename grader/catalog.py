"""Find the exercises and load their ``exercise.toml`` into frozen dataclasses.

An exercise is a folder ``exercises/NN_slug/`` with ``slug.py`` (the stub), ``test_slug.py``
(the spec) and ``exercise.toml``::

    title = { en = "Shared counter", zh = "共享计数器" }
    topics = ["multiprocessing", "Lock"]
    seed_section = "锁 Lock, 同步互斥"
    timeout = 10

    [[hints]]
    en = "..."
    zh = "..."

An unknown or missing key is a :class:`CatalogError` that names the file and the key.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FOLDER = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)$")
LANGS = ("en", "zh")


class CatalogError(Exception):
    """An exercise folder or its metadata is invalid; the message names the file and key."""

    def __init__(self, message: str, folder: Path | None = None) -> None:
        super().__init__(message)
        self.folder = folder


class UnknownExercise(CatalogError):
    """No exercise answers to the name a user typed (``known`` lists those that do exist)."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(f"no exercise named {name!r} (known: {', '.join(known) or 'none'})")


@dataclass(frozen=True)
class Text:
    """A text in English and Chinese."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Exercise:
    number: int
    slug: str
    folder: Path
    title: Text
    topics: tuple[str, ...]
    seed_section: str
    timeout: float
    hints: tuple[Text, ...]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def module_file(self) -> str:
        return f"{self.slug}.py"

    @property
    def spec_file(self) -> str:
        return f"test_{self.slug}.py"

    @property
    def spec_path(self) -> Path:
        return self.folder / self.spec_file

    def module_in(self, target: Path) -> Path:
        """Where this exercise's student module lives in a folder laid out like exercises/."""
        return target / self.name / self.module_file


_KEYS: dict[str, type | tuple[type, ...]] = {
    "title": dict,
    "topics": list,
    "seed_section": str,
    "timeout": (int, float),
    "hints": list,
}


def _text(value: Any, where: str) -> Text:
    if not isinstance(value, dict):
        raise CatalogError(f"{where}: expected a table with keys en and zh")
    unknown = sorted(set(value) - set(LANGS))
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r} (allowed: en, zh)")
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise CatalogError(f"{where}: missing key {lang!r} (a non-empty string)")
    return Text(en=value["en"], zh=value["zh"])


def load_exercise(folder: Path) -> Exercise:
    """Validate one exercise folder; CatalogError names the file and the key at fault."""
    try:
        return _load_exercise(folder)
    except CatalogError as exc:
        exc.folder = folder
        raise


def _load_exercise(folder: Path) -> Exercise:
    match = FOLDER.match(folder.name)
    if not match:
        raise CatalogError(
            f"{folder}: not an exercise folder name: an exercise folder is named NN_slug "
            f"(two digits, snake_case){_rename_hint(folder.name)}"
        )
    number, slug = int(match.group(1)), match.group(2)
    toml_path = folder / "exercise.toml"
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{toml_path}: missing file") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{toml_path}: not valid TOML: {exc}") from None
    for key in data:
        if key not in _KEYS:
            raise CatalogError(f"{toml_path}: unknown key {key!r} (allowed: {', '.join(_KEYS)})")
    for key, kind in _KEYS.items():
        if key not in data:
            raise CatalogError(f"{toml_path}: missing key {key!r}")
        if not isinstance(data[key], kind) or isinstance(data[key], bool):
            raise CatalogError(f"{toml_path}: key {key!r} has the wrong type")
    topics = data["topics"]
    if not all(isinstance(t, str) for t in topics):
        raise CatalogError(f"{toml_path}: key 'topics' must be a list of strings")
    timeout = float(data["timeout"])
    if not 0 < timeout <= 600:
        raise CatalogError(f"{toml_path}: key 'timeout' must be between 0 and 600 seconds")
    hints = tuple(_text(h, f"{toml_path}: hints[{i}]") for i, h in enumerate(data["hints"]))
    if not hints:
        raise CatalogError(f"{toml_path}: key 'hints' needs at least one hint")
    for required in (f"{slug}.py", f"test_{slug}.py"):
        if not (folder / required).is_file():
            raise CatalogError(f"{folder / required}: missing file")
    return Exercise(
        number=number,
        slug=slug,
        folder=folder,
        title=_text(data["title"], f"{toml_path}: title"),
        topics=tuple(topics),
        seed_section=data["seed_section"],
        timeout=timeout,
        hints=hints,
    )


def _rename_hint(name: str) -> str:
    """``, e.g. 04_zombie_avoidance`` for ``4_zombie_avoidance``; empty if no guess fits."""
    guess = re.match(r"^(\d{1,2})[_\- ]*([A-Za-z][\w\- ]*)$", name)
    if guess is None:
        return ""
    slug = re.sub(r"[\- ]+", "_", guess.group(2)).lower()
    suggestion = f"{int(guess.group(1)):02d}_{slug}"
    return f": rename it to {suggestion}" if FOLDER.match(suggestion) else ""


def is_ignored(folder: Path) -> bool:
    """Folders that are never exercises and never errors: hidden ones and ``__pycache__``."""
    return folder.name.startswith(".") or folder.name == "__pycache__"


def scan(exercises_dir: Path) -> tuple[list[Exercise], list[CatalogError]]:
    """The valid exercises under ``exercises_dir`` in number order, and the errors of the rest.

    Every folder there is an exercise or an error: a misnamed one (``4_zombie_avoidance``)
    is reported, never silently left out.
    """
    if not exercises_dir.is_dir():
        raise CatalogError(f"{exercises_dir}: no exercises folder here")
    folders = sorted(p for p in exercises_dir.iterdir() if p.is_dir() and not is_ignored(p))
    exercises: list[Exercise] = []
    problems: list[CatalogError] = []
    seen: dict[int, str] = {}
    for folder in folders:
        try:
            ex = load_exercise(folder)
        except CatalogError as exc:
            problems.append(exc)
            continue
        if ex.number in seen:
            problems.append(
                CatalogError(
                    f"{ex.folder}: number {ex.number:02d} is also used by {seen[ex.number]}",
                    ex.folder,
                )
            )
            continue
        seen[ex.number] = ex.name
        exercises.append(ex)
    return exercises, problems


def load_catalog(exercises_dir: Path) -> list[Exercise]:
    """Every exercise under ``exercises_dir``, in number order; the first problem is raised."""
    exercises, problems = scan(exercises_dir)
    if problems:
        raise problems[0]
    return exercises


def matches(folder_name: str, name: str) -> bool:
    """True if ``name`` (``12_shared_counter``, ``shared_counter`` or ``12``) means this folder."""
    match = FOLDER.match(folder_name)
    if not match:
        return False
    wanted = name.strip().rstrip("/").split("/")[-1]
    number, slug = int(match.group(1)), match.group(2)
    return wanted in (folder_name, slug) or (wanted.isdigit() and int(wanted) == number)


def find(exercises: list[Exercise], name: str) -> Exercise:
    """The exercise called ``12_shared_counter``, ``shared_counter`` or ``12``."""
    for ex in exercises:
        if matches(ex.name, name):
            return ex
    raise UnknownExercise(name, [ex.name for ex in exercises])


def find_root(start: Path) -> Path | None:
    """The repository root above ``start``: the first folder holding ``exercises/``."""
    for folder in (start, *start.parents):
        if (folder / "exercises").is_dir():
            return folder
    return None
