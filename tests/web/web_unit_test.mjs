// The workbench's pure modules (web/src/*.ts) in Node: bundled with the project's esbuild, then
// checked against the cases officers type. No browser, no server; runs in well under a second.
//
// Usage: node web_unit_test.mjs source-dir
import { build } from "esbuild";
import { join } from "node:path";

const [, , source] = process.argv;
let passes = 0;
let failures = 0;
function check(name, ok, detail = "") {
  if (ok) passes++;
  else {
    failures++;
    console.log(`FAIL: ${name}${detail ? " — " + detail : ""}`);
  }
}
async function load(file) {
  const out = await build({ entryPoints: [join(source, "web/src", file)], bundle: true, format: "esm",
    write: false, target: "es2020", logLevel: "silent" });
  return import("data:text/javascript;base64," + Buffer.from(out.outputFiles[0].text).toString("base64"));
}

// ---- periods.ts: what the pivot reads from the 期间 box
{
  const { parsePeriods } = await load("periods.ts");
  const ids = (text, split) => JSON.stringify(parsePeriods(text, split).ids);
  const months = JSON.stringify(["202401", "202402", "202403", "202404", "202405", "202406", "202407"]);
  for (const t of ["2024年1-7月", "2024-01..2024-07", "202401..202407", "2024年1月至7月", "2024年1月-7月",
    "2024-01 ~ 2024-07", "２０２４年１－７月", "2024年1月-2024年7月"]) {
    check(`${t} as one span`, ids(t, "none") === JSON.stringify(["202401..202407"]), ids(t, "none"));
    check(`${t} split by month`, ids(t, "month") === months, ids(t, "month"));
  }
  check("a partial quarter stays the part inside", ids("2024年1-7月", "quarter") === JSON.stringify(["2024Q1", "2024Q2", "202407"]));
  check("a year by quarter", ids("2024", "quarter") === JSON.stringify(["2024Q1", "2024Q2", "2024Q3", "2024Q4"]));
  check("a year by month has 12 columns", parsePeriods("202401..202412", "month").ids.length === 12);
  check("a whole year stays a year", ids("202401..202412", "none") === JSON.stringify(["2024"]));
  check("quarters", ids("2024年第1季度", "none") === JSON.stringify(["2024Q1"]) &&
    ids("2024年一季度", "month") === JSON.stringify(["202401", "202402", "202403"]) &&
    ids("2024年第1-3季度", "none") === JSON.stringify(["2024Q1..2024Q3"]));
  check("across a year end", ids("2023年11月-2024年2月", "quarter") === JSON.stringify(["202311..202312", "202401..202402"]));
  check("half years and years", ids("2024年上半年", "quarter") === JSON.stringify(["2024Q1", "2024Q2"]) &&
    ids("2022-2024年", "year") === JSON.stringify(["2022", "2023", "2024"]));
  check("several periods", ids("2024-07、2024年8月；202409", "none") === JSON.stringify(["202407", "202408", "202409"]));
  check("relative periods pass", ids("LAST_12_MONTHS", "month") === JSON.stringify(["LAST_12_MONTHS"]));
  const err = (t) => parsePeriods(t, "none").error ?? "";
  check("month 13 is named", /“2024年13月”.*月份 13 不存在/.test(err("2024年13月")), err("2024年13月"));
  check("quarter 5 is named", /季度 5 不存在/.test(err("2024Q5")), err("2024Q5"));
  check("an end before its start", /结束早于开始/.test(err("202407..202401")), err("202407..202401"));
  check("unreadable text is named with examples", /无法识别期间“七月份”.*2024年1-7月/.test(err("七月份")), err("七月份"));
  check("an empty box", /请填写期间/.test(err("  ")), err("  "));
  check("errors are in Chinese", ![err("2024年13月"), err("abc"), err("2024Q5")].some((e) => /[a-z]{4,}/i.test(e.replace(/LAST_12_MONTHS/, ""))));
}

console.log(`web unit tests: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
