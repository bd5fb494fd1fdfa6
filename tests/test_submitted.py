"""grader.submitted: a student's module is read only from inside the submission."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from grader import catalog, submitted
from grader.grade import spec_modified
from grader.session import Target
from grader.state import file_hash
from grader.submitted import MAX_MODULE_BYTES, Refused, read_module

SOURCE = b"def attack():\n    return 'ok'\n"


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "submission"
    (folder / "01_hostile").mkdir(parents=True)
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "instructor" / "hostile.py"
    secret.parent.mkdir()
    secret.write_bytes(SOURCE)
    return secret


def refusal(path: Path, root: Path) -> str:
    with pytest.raises(Refused) as caught:
        read_module(path, root)
    return caught.value.kind


def test_a_module_inside_the_submission_is_read(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    module.write_bytes(SOURCE)
    assert read_module(module, submission) == SOURCE


def test_no_module_or_a_dangling_link_is_none(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    assert read_module(module, submission) is None
    module.symlink_to(submission / "nowhere.py")
    assert read_module(module, submission) is None


def test_a_link_that_stays_inside_is_followed(submission: Path) -> None:
    (submission / "mine.py").write_bytes(SOURCE)
    module = submission / "01_hostile" / "hostile.py"
    module.symlink_to(Path("..") / "mine.py")
    assert read_module(module, submission) == SOURCE


def test_a_submission_reached_through_a_link_is_read(submission: Path, tmp_path: Path) -> None:
    (submission / "01_hostile" / "hostile.py").write_bytes(SOURCE)
    alias = tmp_path / "alias"  # as /tmp is a link to /private/tmp on macOS
    alias.symlink_to(submission)
    assert read_module(alias / "01_hostile" / "hostile.py", alias) == SOURCE


def test_a_link_to_a_file_outside_is_refused(submission: Path, outside: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    module.symlink_to(outside)
    assert refusal(module, submission) == "outside"
    # A sibling whose name starts like the submission's is outside too.
    sibling = submission.parent / f"{submission.name}-other.py"
    sibling.write_bytes(SOURCE)
    module.unlink()
    module.symlink_to(sibling)
    assert refusal(module, submission) == "outside"


def test_a_module_in_a_linked_folder_outside_is_refused(submission: Path, outside: Path) -> None:
    (submission / "01_hostile").rmdir()
    (submission / "01_hostile").symlink_to(outside.parent)
    assert refusal(submission / "01_hostile" / "hostile.py", submission) == "outside"


@pytest.mark.timeout(30)  # an open that waited for a writer would wait for ever
def test_a_pipe_is_refused_without_waiting_for_a_writer(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    os.mkfifo(module)
    assert refusal(module, submission) == "not_a_file"


def test_a_folder_named_like_the_module_is_refused(submission: Path) -> None:
    (submission / "01_hostile" / "hostile.py").mkdir()
    assert refusal(submission / "01_hostile" / "hostile.py", submission) == "not_a_file"


def test_a_module_over_the_limit_is_refused_with_its_size(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    with module.open("wb") as handle:
        handle.truncate(MAX_MODULE_BYTES + 1)  # sparse: no megabyte written
    with pytest.raises(Refused) as caught:
        read_module(module, submission)
    assert (caught.value.kind, caught.value.size) == ("too_large", MAX_MODULE_BYTES + 1)
    with module.open("r+b") as handle:
        handle.truncate(MAX_MODULE_BYTES)
    assert len(read_module(module, submission) or b"") == MAX_MODULE_BYTES


def test_a_link_that_leads_back_to_itself_is_refused(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    module.symlink_to(module.name)  # git keeps such a link; a traceback would end the grading
    assert refusal(module, submission) == "loop"
    other = submission / "01_hostile" / "other.py"
    module.unlink()
    module.symlink_to(other.name)
    other.symlink_to(module.name)
    assert refusal(module, submission) == "loop"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read every file")
def test_a_module_the_grading_user_may_not_read_is_refused(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    module.write_bytes(SOURCE)
    module.chmod(0)  # as a zip keeps a file's mode, when one unpacks it
    assert refusal(module, submission) == "unreadable"
    module.chmod(0o644)
    module.parent.chmod(0)  # a folder on its path that may not be searched
    try:
        assert refusal(module, submission) == "unreadable"
    finally:
        module.parent.chmod(0o755)
    assert read_module(module, submission) == SOURCE


@pytest.mark.parametrize(
    "refused",
    [Refused("outside"), Refused("too_large", 2_000_000), Refused("unreadable"), Refused("loop")],
)
def test_a_refusal_travels_as_an_option_and_teaches_in_both_languages(refused: Refused) -> None:
    again = Refused.from_option(refused.as_option())
    assert (again.kind, again.size) == (refused.kind, refused.size)
    message = again.teaching("exercises/01_hostile/hostile.py")
    for lang in ("en", "zh"):
        assert "exercises/01_hostile/hostile.py" in message.text(lang)
    assert message.zh and message.zh != message.en


def test_an_unknown_refusal_is_named() -> None:
    with pytest.raises(ValueError, match=r"'sideways'.*outside, not_a_file, too_large"):
        Refused.from_option("sideways:0")


def test_inside_compares_whole_path_parts(tmp_path: Path) -> None:
    assert submitted.inside(tmp_path / "a" / "b.py", tmp_path / "a")
    assert submitted.inside(tmp_path / "a", tmp_path / "a")
    assert not submitted.inside(tmp_path / "ab" / "b.py", tmp_path / "a")


@pytest.mark.timeout(30)  # a read that waited for a writer would wait for ever
def test_the_progress_hash_of_a_pipe_is_empty_and_does_not_block(submission: Path) -> None:
    module = submission / "01_hostile" / "hostile.py"
    os.mkfifo(module)
    assert file_hash(module) == ""
    module.unlink()
    module.write_bytes(SOURCE)
    assert file_hash(module) == hashlib.sha256(SOURCE).hexdigest()


def test_a_spec_copy_that_leads_outside_is_not_compared(
    fixture_repo: Path, submission: Path, outside: Path
) -> None:
    exercise = catalog.load_exercise(fixture_repo / "exercises" / "01_hostile")
    theirs = submission / "01_hostile" / exercise.spec_file
    theirs.symlink_to(outside)  # differs from the trusted spec: a read would say "modified"
    assert not spec_modified(exercise, Target(submission, submission))
    theirs.unlink()
    shutil.copyfile(outside, theirs)
    assert spec_modified(exercise, Target(submission, submission))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read every file")
def test_a_spec_copy_the_grader_may_not_read_is_not_compared(
    fixture_repo: Path, submission: Path
) -> None:
    exercise = catalog.load_exercise(fixture_repo / "exercises" / "01_hostile")
    theirs = submission / "01_hostile" / exercise.spec_file
    trusted = exercise.spec_path.read_bytes()
    theirs.write_bytes(trusted[:-1] + b"#")  # differs, at the same size: only a read tells
    target = Target(submission, submission)
    for locked in (theirs, theirs.parent):
        locked.chmod(0)
        try:
            assert not spec_modified(exercise, target)
        finally:
            locked.chmod(0o755)
    assert spec_modified(exercise, target)
