#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn a guest's results channel into one line per test case.

The channel holds sections ("DRVSIM-SECTION kunit:<suite>" or
"kselftest:<script>") of KTAP/TAP. Each is parsed by the kernel tree's
own reader, tools/testing/kunit/kunit.py parse --json; a section whose
document is incomplete (missing cases, a bail-out) counts as one failed
case, so a script that died half-way cannot pass.

Usage: results.py KUNIT_PY RESULTS [SECTION...]: each SECTION named is
expected (every KUnit suite of the sources, for one); one the channel
lacks counts as a failed case, so a suite that never ran cannot pass by
its absence.

Prints "PASS|FAIL|SKIP <section>: <case>" lines and, last, the counts as
"<passed> <failed>" on stderr's final line for the caller.
"""
import json, os, re, subprocess, sys, tempfile

def sections(path):
    cur, out = None, {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n").replace("\r", "")
            if line.startswith("DRVSIM-SECTION "):
                cur = line.split(" ", 1)[1]
                if cur == "end":
                    cur = None
                else:
                    out[cur] = []
            elif line.startswith("DRVSIM-"):
                cur = None
            elif cur is not None:
                out[cur].append(line)
    return out

RUN_TEST = re.compile(r"^(not )?ok \d+ selftests: [^:]+: (\S+)")

def split_run(lines, kind="kselftest"):
    """Split the output of the kernel's run_kselftest.sh into one KTAP
    document per test: between "# selftests: <collection>: <test>" and
    that test's result line, each line carries the runner's "# " prefix.
    Returns the documents and the problems of the run itself (fewer
    results than its plan)."""
    docs, cur, plan, ran = {}, None, None, 0
    for line in lines:
        m = RUN_TEST.match(line)
        if line.startswith("# selftests: "):
            cur = kind + ":" + line.rsplit(": ", 1)[1].strip()
            docs[cur] = []
        elif m:
            ran += 1
            cur = None
        elif cur is not None and (line.startswith("# ") or line == "#"):
            docs[cur].append(line[2:])
        elif cur is None and plan is None and re.match(r"^1\.\.\d+$", line):
            plan = int(line[3:])
    problems = []
    if plan is None or ran < plan:
        problems.append(f"the runner reported {ran} of {plan} tests")
    return docs, problems

def cases(node, prefix):
    for c in node.get("test_cases", []):
        yield prefix, c["name"], c["status"]
    for g in node.get("sub_groups", []):
        yield from cases(g, g["name"])

def main():
    kunit_py, results, expected = sys.argv[1], sys.argv[2], sys.argv[3:]
    passed = failed = 0
    secs = sections(results)
    if not secs:
        print("FAIL results: the guest reported no test section")
        failed += 1
    for name in sorted(set(expected) - set(secs)):
        print(f"FAIL {name}: not reported (it did not run)")
        failed += 1
    # "kselftest-run[:<variant>]": the output of run_kselftest.sh, whose
    # tests are reported as "kselftest[-<variant>]:<test>".
    for run in [k for k in secs if k.split(":")[0] == "kselftest-run"]:
        variant = run.partition(":")[2]
        docs, problems = split_run(secs.pop(run), "kselftest" + (f"-{variant}" if variant else ""))
        secs.update(docs)
        for p in problems:
            print(f"FAIL {run}: {p}")
            failed += 1
    for name, lines in secs.items():
        with tempfile.NamedTemporaryFile("w", suffix=".ktap", delete=False) as t:
            t.write("\n".join(lines) + "\n")
        p = subprocess.run([sys.executable, kunit_py, "parse", "--json", t.name],
                           capture_output=True, text=True)
        os.unlink(t.name)
        try:
            doc = json.loads(p.stdout[p.stdout.index("{"):])
        except ValueError:
            print(f"FAIL {name}: unreadable KTAP ({p.stdout.strip()[-200:]})")
            failed += 1
            continue
        seen = 0
        for group, case, status in cases(doc, name):
            label = name if group in (name, doc.get("name")) else f"{name}/{group}"
            if status == "SKIP":
                print(f"SKIP {label}: {case}")
                continue
            seen += 1
            ok = status == "PASS"
            print(f"{'PASS' if ok else 'FAIL'} {label}: {case}")
            passed, failed = passed + ok, failed + (not ok)
        # An incomplete document (fewer results than planned, a bail-out,
        # a parse error) is a failure even if every case seen passed.
        if seen == 0 or "ERROR" in p.stdout or p.returncode not in (0,):
            why = "no test case" if seen == 0 else "incomplete or malformed"
            if seen == 0 or not any(s == "FAIL" for _, _, s in cases(doc, name)):
                print(f"FAIL {name}: {why}")
                failed += 1
    print(f"{passed} {failed}", file=sys.stderr)

main()
