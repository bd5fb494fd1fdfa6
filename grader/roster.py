"""Who each submission folder belongs to, where the export of a class says so.

GitHub Classroom names each clone after its student, so the folder's name is all there is.
Gradescope's "Export Submissions" names each folder after the submission
(``submission_123456789``) and says whose it is in ``submission_metadata.yml`` beside the
folders: a mapping from each folder's name to its ``:submitters:`` (a name, a student id and an
email each; several for a group submission), with Ruby's symbols as keys::

    submission_123456789:
      :submitters:
      - :name: Jane Doe
        :sid: '1234'
        :email: jane@example.edu
      :created_at: 2026-11-30 10:00:00.000000000 -08:00
      :score: 0.0

Only the submitters are read; everything else an export holds (times, scores, Ruby objects
tagged ``!ruby/...``) is loaded as plain data and passed over. The file is the instructor's,
but a bad one must still be named with what is wrong in it, never grade a class without names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.i18n import Phrase

METADATA = "submission_metadata.yml"  # Gradescope's, at the top of an export
FIELDS = ("name", "sid", "email")  # what is read of each submitter, as Submitter holds it


@dataclass(frozen=True)
class Submitter:
    """One student a submission belongs to, as the export names them (any part may be "")."""

    name: str
    sid: str
    email: str

    def to_json(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Submitter:
        """A submitter as a record holds it (:meth:`to_json`)."""
        return cls(*(_text(data.get(key)) for key in FIELDS))


class RosterProblem(Exception):
    """``path`` cannot be read as an export's metadata; ``where`` is the key (or line) at
    fault, "" for the whole file, and ``what`` says what is wrong there (in the reader's
    language once printed)."""

    def __init__(self, path: Path, where: str | Phrase, what: Phrase) -> None:
        super().__init__(f"{path}: {where}: {what}" if where else f"{path}: {what}")
        self.path = path
        self.where = where
        self.what = what


class _Loader(yaml.SafeLoader):
    """YAML's safe subset, with what only an export's own program could make (Ruby objects,
    tagged) loaded as plain mappings, lists and text: nothing here runs code, and nothing the
    grader does not read can fail the load. A plain value is text as it is written: YAML 1.1
    would read an id ``0012`` as the number 10, a time as a datetime and a name ``No`` as
    False."""


def _plain(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_AS_WRITTEN = frozenset(
    f"tag:yaml.org,2002:{kind}" for kind in ("bool", "int", "float", "timestamp")
)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _AS_WRITTEN]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_multi_constructor("!", _plain)
_Loader.add_multi_constructor("tag:", _plain)


def recorded(meta: dict[str, Any]) -> tuple[Submitter, ...]:
    """The submitters a batch record's ``student`` part keeps (:meth:`Submitter.to_json`);
    an entry that is no mapping (a record edited by hand) is passed over."""
    return tuple(Submitter.from_json(p) for p in meta.get("submitters", []) if isinstance(p, dict))


def read(root: Path) -> dict[str, tuple[Submitter, ...]]:
    """Each submission folder's submitters, by folder name, from ``root``'s metadata file;
    ``{}`` when there is none (the folder names are then the students' own). Raises
    :class:`RosterProblem` when the file cannot be read or is not an export's metadata."""
    path = root / METADATA
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RosterProblem(path, "", Phrase("roster.unreadable", reason=reason)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        at = Phrase("roster.line", line=line)
        raise RosterProblem(path, at, Phrase("roster.not_utf8")) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a safe loader: see _Loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where: str | Phrase = ""
        if mark is not None:
            where = Phrase("roster.line_column", line=mark.line + 1, column=mark.column + 1)
        problem = Phrase("roster.yaml", problem=exc.problem or exc.context or "")
        raise RosterProblem(path, where, problem) from None
    except yaml.YAMLError as exc:
        raise RosterProblem(path, "", Phrase("roster.yaml", problem=str(exc))) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RosterProblem(path, "", Phrase("roster.not_mapping"))
    found = {}
    for folder, entry in data.items():
        if not isinstance(folder, str):  # null, or binary data: no folder's name
            raise RosterProblem(path, "", Phrase("roster.key_not_text"))
        found[folder] = _submitters(path, folder, entry)
    return found


def _submitters(path: Path, folder: str, entry: object) -> tuple[Submitter, ...]:
    """The submitters of one folder's entry; RosterProblem naming the key that is wrong."""
    fields = _symbols(entry)
    if fields is None or "submitters" not in fields:
        raise RosterProblem(path, folder, Phrase("roster.no_submitters"))
    people = fields["submitters"]
    if not isinstance(people, list):
        raise RosterProblem(path, f"{folder}: :submitters:", Phrase("roster.not_a_list"))
    found = []
    for index, person in enumerate(people):
        named = _symbols(person)
        if named is None:
            where = Phrase("roster.item", folder=folder, index=index + 1)
            raise RosterProblem(path, where, Phrase("roster.item_not_mapping"))
        values = []
        for key in FIELDS:
            value = named.get(key)
            if not (value is None or isinstance(value, str)):  # a list, a mapping, an alias
                where = Phrase("roster.item_field", folder=folder, index=index + 1, field=key)
                raise RosterProblem(path, where, Phrase("roster.not_text"))
            values.append(_text(value))
        found.append(Submitter(*values))
    return tuple(found)


def _symbols(value: object) -> dict[str, Any] | None:
    """A mapping with Ruby's symbol keys (``:name``) read as plain ones (``name``); None when
    ``value`` is not a mapping."""
    if not isinstance(value, dict):
        return None
    return {k.removeprefix(":"): item for k, item in value.items() if isinstance(k, str)}


def _text(value: object) -> str:
    """A field as text ("" when it is missing or empty)."""
    return "" if value is None else str(value).strip()
