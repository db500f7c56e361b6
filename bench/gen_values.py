#!/usr/bin/env python3
"""Writes the import benchmark's inputs: a metadata bundle and the same data values as DHIS2 CSV
and DHIS2 JSON, by code, for every village of a weijian store (about 1,011 × 36 months × 275
element/option pairs = 10 million values for 鄂尔多斯).

Usage: gen_values.py STORE.db OUTDIR [MONTHS] [FIRST_YEAR]"""
import json
import os
import sqlite3
import sys

store, out = sys.argv[1], sys.argv[2]
months = int(sys.argv[3]) if len(sys.argv) > 3 else 36
first_year = int(sys.argv[4]) if len(sys.argv) > 4 else 2022
os.makedirs(out, exist_ok=True)
villages = [r[0] for r in sqlite3.connect(store).execute(
    "SELECT code FROM org_unit WHERE level = 5 AND facility_type = '' ORDER BY code")]

ELEMENTS = 55
AGES = ["0-6岁", "7-17岁", "18-44岁", "45-64岁", "65岁及以上"]
bundle = {
    "categoryOptions": [{"code": f"BA{i}", "name": a} for i, a in enumerate(AGES)],
    "categories": [{"code": "BCAT", "name": "基准年龄组",
                    "categoryOptions": [{"code": f"BA{i}"} for i in range(len(AGES))]}],
    "categoryCombos": [{"code": "BCC", "name": "基准年龄组", "categories": [{"code": "BCAT"}]}],
    # Listed with codes, so that the values can name them by code.
    "categoryOptionCombos": [{"code": f"COC{i}", "name": a, "categoryCombo": {"code": "BCC"},
                              "categoryOptions": [{"code": f"BA{i}"}]} for i, a in enumerate(AGES)],
    "dataElements": [{"code": f"BDE{i:02d}", "name": f"基准数据元{i:02d}",
                      "categoryCombo": {"code": "BCC"}} for i in range(ELEMENTS)],
    # Ten ratio indicators for the dashboard query: BDE0k / BDE0k+1 × 100.
    "indicatorTypes": [{"code": "BIT", "name": "基准百分率", "factor": 100}],
    "indicators": [{"code": f"BIND{i:02d}", "name": f"基准指标{i:02d}", "indicatorType": {"code": "BIT"},
                    "numerator": f"#{{BDE{i:02d}}}", "denominator": f"#{{BDE{i + 1:02d}}}", "decimals": 2}
                   for i in range(10)],
    "dataSets": [{"code": "BDS", "name": "基准村级月报", "periodType": "Monthly",
                  "dataSetElements": [{"dataElement": {"code": f"BDE{i:02d}"}} for i in range(ELEMENTS)],
                  "organisationUnits": [{"code": v} for v in villages]}],
}
with open(os.path.join(out, "metadata.json"), "w") as f:
    json.dump(bundle, f, ensure_ascii=False)

periods = []
y, m = first_year, 1
for _ in range(months):
    periods.append(f"{y}{m:02d}")
    m += 1
    if m == 13:
        y, m = y + 1, 1

n = 0
with open(os.path.join(out, "values.csv"), "w") as csv, open(os.path.join(out, "values.json"), "w") as js:
    csv.write("dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup\n")
    js.write('{"dataSet":"BDS","dataValues":[')
    first = True
    for pe in periods:
        lines, objs = [], []
        for ou in villages:
            for d in range(ELEMENTS):
                de = f"BDE{d:02d}"
                for c in range(len(AGES)):
                    v = (n * 2654435761) % 997
                    lines.append(f"{de},{pe},{ou},COC{c},,{v},,,,\n")
                    objs.append(f'{{"dataElement":"{de}","period":"{pe}","orgUnit":"{ou}",'
                                f'"categoryOptionCombo":"COC{c}","value":"{v}"}}')
                    n += 1
        csv.write("".join(lines))
        js.write(("" if first else ",") + ",".join(objs))
        first = False
    js.write("]}\n")
print(n)
