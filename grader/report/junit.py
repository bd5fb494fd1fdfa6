"""JUnit XML: one <testsuite> per exercise, one <testcase> per spec test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.results import Grading

FAILURE_STATUSES = {"failed", "todo"}  # the student's code is wrong or unwritten
# timeout, crashed and error become <error>: the test could not run to a verdict


def render(grading: Grading) -> str:
    suites = ET.Element(
        "testsuites",
        name="multitasking-katas",
        tests=str(grading.passed + grading.failed),
        time=f"{grading.seconds:.3f}",
    )
    for exercise in grading.results:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=exercise.name,
            tests=str(len(exercise.tests)),
            failures=str(sum(t.status in FAILURE_STATUSES for t in exercise.tests)),
            errors=str(sum(t.status not in FAILURE_STATUSES | {"passed"} for t in exercise.tests)),
            time=f"{sum(t.duration_s for t in exercise.tests):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="score", value=f"{exercise.score:g}")
        ET.SubElement(props, "property", name="max_score", value=f"{exercise.max_score:g}")
        for note in exercise.notes:
            ET.SubElement(props, "property", name="note", value=note)
        for test in exercise.tests:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=exercise.name,
                name=test.name,
                time=f"{test.duration_s:.3f}",
            )
            if test.status == "passed":
                continue
            tag = "failure" if test.status in FAILURE_STATUSES else "error"
            first = test.message.splitlines()[0] if test.message else test.status
            node = ET.SubElement(case, tag, message=f"[{test.status}] {first}", type=test.status)
            node.text = f"{test.message}\n\n{test.output}".strip()
        if exercise.error:
            ET.SubElement(suite, "system-err").text = exercise.error
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
