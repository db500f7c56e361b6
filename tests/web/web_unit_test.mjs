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

// ---- immunization_logic.ts: what the 接种日 pages check and show (issue 17)
{
  const m = await load("immunization_logic.ts");
  const today = "2026-12-02";
  // GB 11643: the check character, real dates, the length, lowercase x, 15 digits upgraded.
  const ok = m.checkResidentId("150624202203140049", today);
  check("a valid ID number gives its birth date and sex", ok.number === "150624202203140049" && ok.birthDate === "2022-03-14" && ok.sex === "F", JSON.stringify(ok));
  check("a wrong check character names the right one", /校验位.*应为 9/.test(m.checkResidentId("150624202203140040", today).error ?? ""));
  check("19000229 is not a real date", /19000229.*不是真实的日期/.test(m.checkResidentId("150624190002290029", today).error ?? ""),
    m.checkResidentId("150624190002290029", today).error);
  check("the length is named", /应为 18 位（现为 17 位）/.test(m.checkResidentId("15062420220314004", today).error ?? ""));
  check("a birth date after today is refused", /晚于今天/.test(m.checkResidentId(m.idCheckCharacter ? "15062420270101001" + m.idCheckCharacter("15062420270101001") : "", today).error ?? ""));
  const x = "11010519491231002"; const withX = x + m.idCheckCharacter(x);
  check("the check character is computed after ISO 7064 MOD 11-2", withX === "11010519491231002X", withX);
  check("a lowercase x is accepted and made uppercase", m.checkResidentId(withX.toLowerCase(), today).number === withX);
  check("a 15-digit number is upgraded", m.checkResidentId("110105491231002", today).number === withX, JSON.stringify(m.checkResidentId("110105491231002", today)));
  check("letters inside the number are named", /前 17 位应为数字/.test(m.checkResidentId("1506242022031400A9", today).error ?? ""));
  check("an empty box asks for the number", m.checkResidentId("  ", today).error === "请填写身份证号");
  check("出生医学证明编号: a letter and nine digits", m.checkBirthCertificate("p150012345") === null && /1 个大写字母加 9 位数字/.test(m.checkBirthCertificate("150012345") ?? ""));
  // Ages in calendar months clamped to the month's end, as the schedule counts them.
  check("born 31 January: one month old on 28 February", m.monthsOld("2025-01-31", "2025-02-28") === 1 && m.monthsOld("2025-01-31", "2025-02-27") === 0);
  check("ages in words", m.ageText("2026-11-20", today) === "出生 12 天" && m.ageText("2026-07-02", today) === "5 个月" &&
    m.ageText("2025-09-01", today) === "1 岁 3 个月" && m.ageText("2020-12-02", today) === "6 岁" && m.ageText("2020-12-03", today) === "5 岁 11 个月",
    [m.ageText("2026-11-20", today), m.ageText("2026-07-02", today), m.ageText("2025-09-01", today), m.ageText("2020-12-03", today)].join("|"));
  check("no age before birth", m.ageText("2026-12-03", today) === "");
  // Tap-to-call only for a whole number.
  check("a phone becomes a tel: link", m.telHref("139 0477-0123") === "tel:13904770123" && m.telHref("0477-7654321") === "tel:04777654321");
  check("a masked phone is never dialled", m.telHref("139****0123") === null && m.telHref("") === null && m.telHref(undefined) === null);
  // A refusal's field is found on the forms.
  check("dose refusals land on their fields", m.fieldControl("dose", "date") === "dose-date" && m.fieldControl("dose", "lotExpiry") === "dose-expiry" &&
    m.fieldControl("dose", "traceCode") === "dose-trace" && m.fieldControl("dose", "vaccine") === "dose-vaccine");
  check("registration refusals land on their fields", m.fieldControl("child", "idNumber") === "reg-id" &&
    m.fieldControl("child", "guardians[0].phone") === "reg-g-phone" && m.fieldControl("child", "birthCertificate") === "reg-cert");
  check("an unknown field goes to the form", m.fieldControl("dose", "trackedEntity") === null && m.fieldControl("child", undefined) === null);
  // The doses a form offers: open ones, 应种/逾期 first, one per series and dose.
  const fc = [
    { vaccine: "HepB", vaccineName: "乙肝疫苗", series: "HepB", dose: 1, state: "GIVEN", stateName: "已种", given: "2026-06-01" },
    { vaccine: "HepB", vaccineName: "乙肝疫苗", series: "HepB", dose: 3, state: "NOT_YET", stateName: "未到", earliestDate: "2026-12-20" },
    { vaccine: "IPV", vaccineName: "脊灰灭活疫苗", series: "Polio", dose: 2, state: "OVERDUE", stateName: "逾期", catchUpUntil: "2044-05-31" },
    { vaccine: "DTaP", vaccineName: "百白破疫苗", series: "DTaP", dose: 3, state: "DUE", stateName: "应种", latestDate: "2027-05-31" },
    { vaccine: "MMR", vaccineName: "麻腮风疫苗", series: "MMR", dose: 1, state: "CONTRAINDICATED", stateName: "禁忌", reason: "对疫苗成分过敏" },
  ];
  const opts = m.doseOptions(fc);
  check("open doses are offered, due first", JSON.stringify(opts.map((o) => `${o.series}${o.dose}`)) === JSON.stringify(["Polio2", "DTaP3", "HepB3"]), JSON.stringify(opts));
  check("an offered dose is named with its number and state", opts[1].label === "百白破疫苗 第3剂（应种）" && opts[1].value === "DTaP");
  check("each state reads in Chinese", m.doseDetail(fc[0]) === "2026-06-01 已种" && m.doseDetail(fc[1]) === "2026-12-20 起可种" &&
    m.doseDetail(fc[2]).includes("需补种") && m.doseDetail(fc[3]).includes("2027-05-31 前接种为及时") && m.doseDetail(fc[4]) === "对疫苗成分过敏");
  check("routes by vaccine", m.defaultRoute("bOPV").route === "口服" && m.defaultRoute("BCG").route === "皮内注射" &&
    m.defaultRoute("MMR").route === "皮下注射" && m.defaultRoute("HepB").route === "肌内注射");
  check("every default is offered", ["bOPV", "BCG", "MMR", "HepB"].every((v) => m.ROUTES.includes(m.defaultRoute(v).route) && m.SITES.includes(m.defaultRoute(v).site)));
  check("接种单位 are the vaccinating facilities", JSON.stringify(m.vaccinationUnits([
    { id: "a", name: "乌兰镇", level: 4 }, { id: "b", name: "乌兰镇卫生院", level: 5, facilityType: "卫生院" },
    { id: "c", name: "鄂托克旗疾控中心", level: 4, facilityType: "疾控中心" }]).map((u) => u.id)) === JSON.stringify(["b"]));
  check("a 追溯码 is 20 digits", m.checkTraceCode("8123 4567 8901 2345 6789") === null && m.checkTraceCode("") === null &&
    /20 位数字（现为 19 位）/.test(m.checkTraceCode("8123456789012345678") ?? ""));
  // The 库存 page: expiry in words, a 盘点's difference, where a refusal's field is.
  check("expiry in words", m.expiryText(-3) === "已过期 3 天" && m.expiryText(0) === "今天到期" && m.expiryText(16) === "16 天后到期");
  check("a count's difference in words", m.countDifference(10, 8) === "盘亏 2 剂" && m.countDifference(5, 6) === "盘盈 1 剂" &&
    m.countDifference(4, 4) === "相符");
  check("a movement's refused field is its control", m.stockControl("movement", "quantity") === "stk-quantity" &&
    m.stockControl("movement", "toOrgUnit") === "stk-toOrgUnit" && m.stockControl("movement", undefined) === null);
  check("a count's refused row is its box", m.stockControl("count", "counts[2].counted") === "cnt-2" &&
    m.stockControl("count", "counts[1].lot") === "cnt-1" && m.stockControl("count", "counts[0].reason") === "cnt-reason" &&
    m.stockControl("count", "counts") === "cnt-0" && m.stockControl("count", "date") === "cnt-date");
  check("the catalogue names every vaccine once", new Set(m.VACCINES.map((v) => v.code)).size === m.VACCINES.length &&
    m.VACCINES.find((v) => v.code === "HepB")?.name === "乙肝疫苗");
}

// ---- 扫码 (issue 17 item 9): the 追溯码 in what a scanner reads, and the decoder itself on
// barcodes drawn from bwip-js's bars (the symbols a vaccine box carries: Code 128, DataMatrix).
{
  const m = await load("immunization_logic.ts");
  const code = "81234567890123456789";
  const read = (t) => m.traceCodeFromScan(t);
  check("a plain 20-digit read is the code", read(code) === code);
  check("spaces, hyphens and a symbology prefix are dropped", read("]C1" + code) === code &&
    read("8123 4567 8901 2345 6789") === code && read("8123-4567-8901-2345-6789") === code, read("]C1" + code));
  check("full-width digits are read as digits", read("８１２３４５６７８９０１２３４５６７８９") === code);
  check("the code inside an address is found", read(`https://mas.example/t?code=${code}&x=1`) === code);
  check("no 20-digit run, or two different ones, is no code", read("6901234567892") === null && read("") === null &&
    read("812345678901234567890") === null && read(`${code},91234567890123456789`) === null);
  check("the same code twice is still one", read(`${code};${code}`) === code);
  const ok = m.scanResultText(code);
  check("a code read says so in Chinese", ok.code === code && ok.message.includes("已识别追溯码") && ok.message.includes(code), ok.message);
  const bad = m.scanResultText("6901234567892");
  check("another barcode is named and what to do said", bad.code === null && bad.message.includes("6901234567892") &&
    bad.message.includes("不是 20 位追溯码") && bad.message.includes("手工输入"), bad.message);
  check("a typed code still passes the box's check", m.checkTraceCode(read("]C1" + code)) === null);

  const bwip = (await import("bwip-js")).default;
  const scanner = await load("scanner.ts");
  // An RGBA image of 0/1 modules (1 dark), `scale` pixels each, with a quiet zone of `quiet`.
  const image = (rows, scale, quiet) => {
    const w = (rows[0].length + 2 * quiet) * scale, h = (rows.length + 2 * quiet) * scale;
    const data = new Uint8ClampedArray(w * h * 4).fill(255);
    rows.forEach((row, y) => row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) {
        const i = (((y + quiet) * scale + dy) * w + (x + quiet) * scale + dx) * 4;
        data[i] = data[i + 1] = data[i + 2] = 0;
      }
    }));
    return { width: w, height: h, data };
  };
  const turned = (img) => { // a quarter turn, as a box held upright
    const { width: w, height: h, data } = img;
    const out = new Uint8ClampedArray(data.length);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
      out.set(data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), (x * h + (h - 1 - y)) * 4);
    return { width: h, height: w, data: out };
  };
  const bars = bwip.raw("code128", code, "")[0].sbs;
  const line = bars.flatMap((n, i) => Array(n).fill(i % 2 === 0 ? 1 : 0));
  const code128 = image(Array(20).fill(line), 3, 10);
  check("a Code 128 追溯码 is decoded", scanner.decodeImageData(code128) === code, String(scanner.decodeImageData(code128)));
  check("and turned a quarter", scanner.decodeImageData(turned(code128)) === code);
  const dm = bwip.raw("datamatrix", code, "")[0];
  const grid = Array.from({ length: dm.pixy }, (_, y) => Array.from(dm.pixs.slice(y * dm.pixx, (y + 1) * dm.pixx)));
  const matrix = image(grid, 6, 2);
  check("a DataMatrix 追溯码 is decoded", scanner.decodeImageData(matrix) === code, String(scanner.decodeImageData(matrix)));
  check("a blank image decodes to nothing", scanner.decodeImageData(image(Array(40).fill(Array(60).fill(0)), 3, 2)) === null);
}

console.log(`web unit tests: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
