"""Summarizes the TRX files of a `dotnet test` run: what the fault tests reported (their checker counts: confirmed,
lost, duplicated, unexpected), every skipped test with its reason, every failure, and one closing line
'tests: N passed, N failed, N skipped'. Exits 1 when a test failed or none ran."""
import pathlib
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(folder: str) -> int:
    passed = failed = skipped = 0
    skips, failures, reports = [], [], []
    files = sorted(pathlib.Path(folder).rglob("*.trx"))
    for trx in files:
        root = ET.parse(trx).getroot()
        for result in root.iterfind(".//t:UnitTestResult", NS):
            outcome = result.get("outcome")
            name = result.get("testName")
            message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=NS).strip()
            output = result.findtext("t:Output/t:StdOut", default="", namespaces=NS).strip()
            if output and ".Faults." in (name or ""):
                reports.append((name, output))
            if outcome == "Passed":
                passed += 1
            elif outcome == "NotExecuted":
                skipped += 1
                skips.append((name, message))
            else:
                failed += 1
                failures.append((name, message))
    for name, output in reports:
        print(f"REPORT  {name}:")
        for line in output.splitlines():
            print(f"        {line}")
    for name, reason in skips:
        print(f"SKIPPED {name}: {reason}")
    for name, message in failures:
        print(f"FAILED  {name}: {message.splitlines()[0] if message else ''}")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    if not files or passed + failed == 0:
        print("no test ran", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
