"""Where a test process's writes land: the pages it has made its own by the end of its test,
by the mapping they are in.

A test process shares every page with the launcher that forked it until it writes to one;
each first write costs a page fault and a copy, and the copies are most of what a test
process costs beyond plain pytest's run of the same test. This runs N trivial tests under
the grader's plugin (every one in a test process of the launcher's) and, at the end of each
test's teardown, reads the test process's ``/proc/self/smaps``: its private dirty pages (the
ones it copied or filled itself) in each kind of mapping:

* ``anon``: anonymous mappings, where pymalloc's arenas hold the small objects;
* ``[heap]``: the C heap (malloc), where larger objects and object arrays live;
* ``libpython``: the interpreter's own data (static types, small ints, its globals);
* ``[stack]`` and ``other``: the rest.

With ``--objects``, the test process of the middle test also says what lives on the pages it
copied in its anonymous mappings and ``[heap]`` (``/proc/self/pagemap``: present, mapped by
it alone), by type: how many of the heap's objects of each type sit on a copied page, and of
how many copied pages that type holds the most objects. A type the test writes to
specifically would stand out; objects that only share a page with what was written sit there
at the base rate.
On CPython 3.11+, whose interpreter rewrites the bytecode it runs as it specialises it, the
next test's process also counts the code objects whose bytecode its test changed, and the
pages they are on.

The reading is done by a ``conftest.py`` it writes next to the tests (a grading session never
reads one there); it allocates a little itself, which counts. Linux only; ``--objects`` as
root only (a test process is not dumpable, so its ``pagemap`` is root's).

    python benchmarks/dirty_pages.py [--tests 300] [--objects]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from overhead import bench_folder, through_launcher

LEDGER = "GRADER_BENCH_LEDGER"  # where each test process writes its pages
OBJECTS = "GRADER_BENCH_OBJECTS"  # K: test K reads its copied pages' objects, K + 1 its code
KINDS = ("anon", "[heap]", "libpython", "[stack]", "other")

CONFTEST = f'''
"""Written by benchmarks/dirty_pages.py: each test process's private dirty pages, by mapping."""
import collections
import gc
import json
import os
import struct
import types

import pytest

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _kind(name):
    if not name:
        return "anon"
    if name in ("[heap]", "[stack]"):
        return name
    return "libpython" if os.path.basename(name).startswith("libpython") else "other"


BYTECODE = {{}}  # id -> (code object, its bytecode as the test began): test K + 1, CPython 3.11+


def _named(offset):
    middle = os.environ.get("{OBJECTS}")
    return middle and f"test_trivial[{{int(middle) + offset}}]"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.name == _named(1) and hasattr(types.CodeType, "_co_code_adaptive"):
        gc.unfreeze()
        todo = [obj.__code__ for obj in gc.get_objects() if isinstance(obj, types.FunctionType)]
        gc.freeze()
        while todo:
            code = todo.pop()
            if id(code) not in BYTECODE:  # by id: equal code objects compare equal
                BYTECODE[id(code)] = code, code._co_code_adaptive
                todo.extend(c for c in code.co_consts if isinstance(c, types.CodeType))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    pages = dict.fromkeys({KINDS!r}, 0)
    kind = "other"
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if fields[0] == "Private_Dirty:":
                pages[kind] += int(fields[1]) // PAGE_KIB
            elif not fields[0].endswith(":"):  # a mapping's first line: range perms ... [name]
                kind = _kind(fields[5] if len(fields) > 5 else "")
    if item.name == _named(0):
        pages["objects"] = _objects_on_copied_pages()
    if item.name == _named(1) and BYTECODE:
        rewritten = [code for code, was in BYTECODE.values() if code._co_code_adaptive != was]
        on = {{id(code) // (PAGE_KIB * 1024) for code in rewritten}}
        pages["rewritten"] = [len(rewritten), len(BYTECODE), len(on)]
    ledger = os.open(os.environ["{LEDGER}"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(ledger, (json.dumps(pages) + "\\n").encode())
    os.close(ledger)


def _objects_on_copied_pages():
    """Per type: [objects on a copied page, objects in all, copied pages where it is the most]."""
    page = PAGE_KIB * 1024
    heap = {{}}  # page number -> copied, over the writable anonymous mappings and [heap]
    with open("/proc/self/maps") as maps, open("/proc/self/pagemap", "rb") as pagemap:
        for line in maps:
            fields = line.split()
            if "w" in fields[1] and (len(fields) < 6 or fields[5] == "[heap]"):
                low, high = (int(end, 16) // page for end in fields[0].split("-"))
                pagemap.seek(low * 8)
                entries = struct.iter_unpack("<Q", pagemap.read((high - low) * 8))
                for number, (entry,) in enumerate(entries, low):
                    heap[number] = entry >> 63 & 1 == 1 and entry >> 56 & 1 == 1  # present, alone
    gc.unfreeze()  # the launcher froze the heap; frozen objects are not in gc.get_objects()
    objects = {{id(obj): obj for obj in gc.get_objects()}}
    for obj in list(objects.values()):  # and what they hold that the collector does not track
        for held in gc.get_referents(obj):
            objects.setdefault(id(held), held)
    counts = collections.defaultdict(lambda: [0, 0, 0])
    by_page = collections.defaultdict(collections.Counter)
    for address, obj in objects.items():
        number = address // page
        if number in heap:
            kind = type(obj).__name__
            counts[kind][1] += 1
            if heap[number]:
                counts[kind][0] += 1
                by_page[number][kind] += 1
    for kinds in by_page.values():
        counts[kinds.most_common(1)[0][0]][2] += 1
    return {{"copied": sum(heap.values()), "pages": len(heap), "types": counts}}
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument(
        "--objects", action="store_true", help="what lives on the middle test's copied pages"
    )
    opts = parser.parse_args()
    if not os.path.exists("/proc/self/smaps"):
        raise SystemExit("dirty_pages.py reads /proc/self/smaps: Linux only")
    if opts.objects and os.geteuid() != 0:  # a test process is not dumpable: its pagemap is root's
        raise SystemExit(
            "dirty_pages.py --objects reads a test process's /proc/self/pagemap: root only"
        )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        many, _ = bench_folder(root, opts.tests)
        ledger = root / "ledger.jsonl"
        variables = {LEDGER: str(ledger)}
        if opts.objects:
            variables[OBJECTS] = str(opts.tests // 2)
        through_launcher(many, root, CONFTEST, variables)
        rows = [json.loads(line) for line in ledger.read_text().splitlines()]
    if len(rows) != opts.tests:
        raise SystemExit(f"{len(rows)} test processes of {opts.tests} wrote their pages")
    version = ".".join(map(str, sys.version_info[:2]))
    print(f"{opts.tests} trivial tests, Python {version}: a test process's private dirty pages")
    total = statistics.median(sum(row[kind] for kind in KINDS) for row in rows)
    print(f"  {'total':<10} {total:6.0f}")
    for kind in KINDS:
        print(f"  {kind:<10} {statistics.median(row[kind] for row in rows):6.0f}")
    if opts.objects:
        _print_objects(next(row["objects"] for row in rows if "objects" in row), opts.tests // 2)
        for row in rows:
            if "rewritten" in row:
                changed, codes, pages = row["rewritten"]
                print(
                    f"test {opts.tests // 2 + 1}: its test changed the bytecode of {changed} of"
                    f" {codes} code objects, on {pages} pages"
                )


def _print_objects(found: dict[str, object], test: int) -> None:
    """The middle test's copied pages, by the types of the objects on them (the top 12)."""
    types: dict[str, list[int]] = found["types"]  # type: ignore[assignment]
    on_copied = sum(row[0] for row in types.values())
    in_all = sum(row[1] for row in types.values())
    print(
        f"test {test}: {found['copied']} of {found['pages']} pages of the heap's mappings copied;"
        f" {on_copied} of its {in_all} objects ({on_copied / in_all:.0%}) on them"
    )
    print(f"  {'type':<28} {'on copied pages':>22} {'pages it is the most on':>24}")
    top = collections.Counter({kind: row[2] for kind, row in types.items()}).most_common(12)
    for kind, most in top:
        copied, total, _ = types[kind]
        share = f"{copied} of {total} ({copied / total:.0%})"
        print(f"  {kind:<28} {share:>22} {most:>24}")


if __name__ == "__main__":
    main()
