#!/usr/bin/env python3
"""Imports the official JSONata test suite into tests/jsonata/ in a compact form.

    python3 tests/jsonata/gen/import_suite.py /work/shared/jsonata-test-suite

Writes suite.jsonl (one case per line, datasets referenced by name) and datasets.json.
Cases that Step Functions cannot run are kept with an "excluded" reason.
"""
import json
import os
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/jsonata-test-suite"
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXCLUDED_GROUPS = {
    "function-eval": "$eval is removed by Step Functions",
    "coalescing-operator": "?? is a JSONata 2.1 operator; AWS runs 2.0.6",
    "default-operator": "?: is a JSONata 2.1 operator; AWS runs 2.0.6",
}

def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # One case has a lone surrogate escape that strict JSON parsers reject; keep it verbatim.
    return json.loads(text)

cases = []
used = set()
for group in sorted(os.listdir(os.path.join(src, "groups"))):
    gdir = os.path.join(src, "groups", group)
    for name in sorted(os.listdir(gdir)):
        if not name.endswith(".json"):
            continue
        data = load(os.path.join(gdir, name))
        items = data if isinstance(data, list) else [data]
        for i, c in enumerate(items):
            cid = f"{group}/{name[:-5]}" + (f"[{i}]" if isinstance(data, list) else "")
            expr = c.get("expr")
            if expr is None and "expr-file" in c:
                with open(os.path.join(gdir, c["expr-file"]), encoding="utf-8") as f:
                    expr = f.read()
            out = {"id": cid, "expr": expr}
            if "dataset" in c:
                out["dataset"] = c["dataset"]
                if c["dataset"]:
                    used.add(c["dataset"])
            elif "data" in c:
                out["data"] = c["data"]
            for k in ("bindings", "result", "undefinedResult", "code", "timelimit", "depth", "unordered"):
                if k in c and c[k] not in ({}, None) or k == "result" and k in c:
                    out[k] = c[k]
            if "error" in c and "code" not in out:
                out["code"] = c["error"].get("code")
            if group in EXCLUDED_GROUPS:
                out["excluded"] = EXCLUDED_GROUPS[group]
            elif "$eval(" in expr:
                out["excluded"] = "$eval is removed by Step Functions"
            cases.append(out)

with open(os.path.join(here, "suite.jsonl"), "w", encoding="utf-8") as f:
    for c in cases:
        f.write(json.dumps(c, ensure_ascii=True, separators=(",", ":")) + "\n")
datasets = {}
for name in sorted(used):
    datasets[name] = load(os.path.join(src, "datasets", name + ".json"))
with open(os.path.join(here, "datasets.json"), "w", encoding="utf-8") as f:
    json.dump(datasets, f, ensure_ascii=True, separators=(",", ":"))
print(f"{len(cases)} cases, {len(datasets)} datasets")
