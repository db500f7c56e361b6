#!/usr/bin/env python3
"""Writes the validation benchmark's inputs for every village of a weijian store: a metadata
bundle (30 monthly counts in one village data set, 30 validation rules over them, every operator
and missing-value strategy) and two years of values as DHIS2 CSV by code (1,011 villages × 24
months × 30 elements ≈ 728k values for 鄂尔多斯), with a few cells left empty and a few wild.

Usage: gen_validation.py STORE.db OUTDIR"""
import json
import os
import random
import sqlite3
import sys

store, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
villages = [r[0] for r in sqlite3.connect(store).execute(
    "SELECT code FROM org_unit WHERE level = 5 AND facility_type = '' ORDER BY code")]
N = 30
# Mostly rules the data keep (as a real form's rules are), every operator and strategy among them.
OPS = ["less_than_or_equal_to"] * 18 + ["less_than"] * 3 + ["greater_than_or_equal_to"] * 3 + \
      ["not_equal_to", "equal_to", "compulsory_pair", "greater_than", "less_than_or_equal_to",
       "less_than_or_equal_to"]
STRATEGIES = ["SKIP_IF_ANY_VALUE_MISSING", "SKIP_IF_ALL_VALUES_MISSING", "NEVER_SKIP"]
rules = []
for i in range(N):
    a, b = f"BV{i:02d}", f"BV{(i + 1) % N:02d}"
    op = OPS[i]
    left = f"#{{{a}}}" if i % 4 else f"#{{{a}}} + #{{BV{(i + 2) % N:02d}}} / 2"
    right = f"#{{{b}}} * 3" if op in ("less_than_or_equal_to", "less_than", "not_equal_to") else \
        f"#{{{b}}} / 3" if op in ("greater_than_or_equal_to", "greater_than") else \
        f"#{{{a}}}" if op == "equal_to" else f"#{{{b}}}"
    if op == "equal_to":
        left = f"#{{{a}}}"
    rules.append({"code": f"BVR{i:02d}", "name": f"基准规则{i:02d}", "instruction": "基准规则，请核对。",
                  "importance": ["HIGH", "MEDIUM", "LOW"][i % 3], "operator": op,
                  "periodType": "Monthly",
                  "leftSide": {"expression": left, "missingValueStrategy": STRATEGIES[i % 3]},
                  "rightSide": {"expression": right, "missingValueStrategy": STRATEGIES[(i + 1) % 3]}})
bundle = {
    "dataElements": [{"code": f"BV{i:02d}", "name": f"基准计数{i:02d}"} for i in range(N)],
    "dataSets": [{"code": "BVDS", "name": "基准村级审核月报", "periodType": "Monthly",
                  "dataSetElements": [{"dataElement": {"code": f"BV{i:02d}"}} for i in range(N)],
                  "organisationUnits": [{"code": v} for v in villages]}],
    "validationRules": rules,
    "validationRuleGroups": [{"code": "BVRG", "name": "基准规则组",
                              "validationRules": [{"code": r["code"]} for r in rules]}],
}
with open(os.path.join(out, "metadata.json"), "w") as f:
    json.dump(bundle, f, ensure_ascii=False)

rng = random.Random(11)
n = 0
with open(os.path.join(out, "values.csv"), "w") as csv:
    csv.write("dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup\n")
    for y in (2023, 2024):
        for m in range(1, 13):
            pe = f"{y}{m:02d}"
            lines = []
            for ou in villages:
                base = 10 + (hash(ou) % 90)
                for i in range(N):
                    if rng.random() < 0.02:
                        continue  # a missing cell
                    v = int(base * (1 + 0.1 * i) * rng.uniform(0.8, 1.2))
                    if rng.random() < 0.0005:
                        v *= 50  # a wild one
                    lines.append(f"BV{i:02d},{pe},{ou},,,{v},bench,,,\n")
            csv.writelines(lines)
            n += len(lines)
print(n)
