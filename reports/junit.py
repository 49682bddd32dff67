"""junit.xml: one test case per SLO (and per baseline check), so any CI shows them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree import ElementTree as ET

from reports.slo import status_of


def render_junit(reports: Iterable[Mapping[str, Any]]) -> str:
    suites = ET.Element("testsuites", name="bff-sim")
    for report in reports:
        name = f"{report['scenario']['name']}[{report['policy']['name']}]"
        checks = [("slo", v) for v in report["slos"]] + \
                 [("baseline", v) for v in report.get("baseline", {}).get("checks", [])]
        problems = report.get("problems", [])
        failures = sum(status_of(v) == "fail" for _, v in checks) + len(problems)
        suite = ET.SubElement(suites, "testsuite", name=name,
                              tests=str(len(checks) + len(problems)),
                              failures=str(failures), errors="0",
                              skipped=str(sum(status_of(v) == "n/a" for _, v in checks)),
                              time=f"{report['environment']['wall_seconds']:.3f}")
        for kind, verdict in checks:
            case = ET.SubElement(suite, "testcase", classname=f"{name}.{kind}",
                                 name=verdict["id"])
            status = status_of(verdict)
            if status == "n/a":  # not measurable: neither a pass nor a failure
                ET.SubElement(case, "skipped", message=verdict["rule"])
            elif status != "pass":
                failure = ET.SubElement(case, "failure", message=verdict["rule"])
                failure.text = verdict["rule"]
            else:
                ET.SubElement(case, "system-out").text = verdict["rule"]
        for problem in problems:
            case = ET.SubElement(suite, "testcase", classname=f"{name}.run", name="run")
            ET.SubElement(case, "failure", message=problem).text = problem
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
