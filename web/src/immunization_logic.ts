// The 接种日 pages' pure logic (issue 17), kept apart from the DOM so that tests/web runs it in
// Node: the 居民身份证号 check as the server does it (GB 11643-1999), a child's age in words,
// tap-to-call addresses, where a refusal's field is on the forms, the doses a form offers and the
// route and site a vaccine is usually given by. Dates are "YYYY-MM-DD" strings, read as calendar
// days (no time zone).

export interface IdCheck { number?: string; birthDate?: string; sex?: "M" | "F"; error?: string }

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = "10X98765432";

// ISO 7064 MOD 11-2 check character of the first seventeen digits.
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

function realDate(y: number, m: number, d: number): boolean {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

// Checks a 居民身份证号 as the server will: spaces dropped, x made X, 15 digits upgraded to 18;
// the message says in Chinese what is wrong. `today` bounds the birth date.
export function checkResidentId(text: string, today: string): IdCheck {
  let s = text.replace(/\s+/g, "").toUpperCase();
  if (!s) return { error: "请填写身份证号" };
  if (s.length === 15) {
    if (!/^\d{15}$/.test(s)) return { error: "15 位身份证号应全为数字" };
    s = s.slice(0, 6) + "19" + s.slice(6);
    s += idCheckCharacter(s);
  }
  if (s.length !== 18) return { error: `身份证号应为 18 位（现为 ${s.length} 位）` };
  if (!/^\d{17}[\dX]$/.test(s)) return { error: "身份证号前 17 位应为数字，最后一位为数字或 X" };
  const y = Number(s.slice(6, 10)), m = Number(s.slice(10, 12)), d = Number(s.slice(12, 14));
  const birth = s.slice(6, 10) + "-" + s.slice(10, 12) + "-" + s.slice(12, 14);
  if (!realDate(y, m, d)) return { error: `身份证号中的出生日期 ${s.slice(6, 14)} 不是真实的日期` };
  if (y < 1900) return { error: "身份证号中的出生日期早于 1900 年" };
  if (birth > today) return { error: "身份证号中的出生日期晚于今天" };
  const want = idCheckCharacter(s);
  if (s[17] !== want) return { error: `身份证号校验位不对：最后一位应为 ${want}，请核对号码` };
  return { number: s, birthDate: birth, sex: Number(s[16]) % 2 === 1 ? "M" : "F" };
}

// 出生医学证明编号: one capital letter and nine digits.
export function checkBirthCertificate(text: string): string | null {
  const s = text.trim().toUpperCase();
  return /^[A-Z]\d{9}$/.test(s) ? null : "出生医学证明编号应为 1 个大写字母加 9 位数字，如 P150012345";
}

function parts(day: string): [number, number, number] {
  const [y, m, d] = day.split("-").map(Number);
  return [y, m, d];
}

// Whole calendar months from `birth` to `on`, a month's day clamped to the month's end (born
// 31 January: one month old on 28/29 February), as the schedule counts ages.
export function monthsOld(birth: string, on: string): number {
  const [by, bm, bd] = parts(birth), [y, m, d] = parts(on);
  let months = (y - by) * 12 + (m - bm);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d < Math.min(bd, last)) months--;
  return months;
}

// A child's age on a day in words: 出生 12 天, 5 个月, 1 岁 3 个月, 6 岁.
export function ageText(birth: string, on: string): string {
  if (!birth || !on || on < birth) return "";
  const months = monthsOld(birth, on);
  if (months < 1) {
    const days = Math.round((Date.UTC(...ymd(on)) - Date.UTC(...ymd(birth))) / 86400000);
    return `出生 ${days} 天`;
  }
  if (months < 12) return `${months} 个月`;
  const y = Math.floor(months / 12), rest = months % 12;
  return rest ? `${y} 岁 ${rest} 个月` : `${y} 岁`;
}

function ymd(day: string): [number, number, number] {
  const [y, m, d] = parts(day);
  return [y, m - 1, d];
}

// A tel: address for a phone number, or null when the number is masked (138****5678) or empty:
// a masked number is shown, never dialled.
export function telHref(phone: string | undefined): string | null {
  const p = (phone ?? "").replace(/[\s-]/g, "");
  if (!/^\+?\d{7,20}$/.test(p)) return null;
  return "tel:" + p;
}

// Where the field a refusal names (the server's "field") is on a form: the id of its control.
// Unknown fields return null (the message is then shown for the whole form).
const DOSE_FIELDS: Record<string, string> = {
  vaccine: "dose-vaccine", date: "dose-date", site: "dose-site", route: "dose-route", lot: "dose-lot",
  manufacturer: "dose-maker", lotExpiry: "dose-expiry", traceCode: "dose-trace", vaccinator: "dose-vaccinator",
  orgUnit: "dose-vaccine",
};
const CHILD_FIELDS: Record<string, string> = {
  orgUnit: "reg-unit", name: "reg-name", sex: "reg-sex-M", birthDate: "reg-birth", idNumber: "reg-id",
  birthCertificate: "reg-cert", village: "reg-village", address: "reg-address", guardians: "reg-g-name",
  "guardians[0].name": "reg-g-name", "guardians[0].relation": "reg-g-relation", "guardians[0].phone": "reg-g-phone",
};
export function fieldControl(form: "dose" | "child", field: string | undefined): string | null {
  if (!field) return null;
  return (form === "dose" ? DOSE_FIELDS : CHILD_FIELDS)[field] ?? null;
}

export interface ForecastDose {
  vaccine: string; vaccineName: string; series: string; dose: number; state: string; stateName: string;
  earliestDate?: string | null; recommendedDate?: string | null; latestDate?: string | null;
  catchUpUntil?: string | null; given?: string; reason?: string;
}

// What a forecast row says under its name, in Chinese.
export function doseDetail(f: ForecastDose): string {
  switch (f.state) {
    case "GIVEN": return `${f.given} 已种`;
    case "GIVEN_INVALID": return `${f.given} 已种，但不计入${f.reason ? "：" + f.reason : ""}`;
    case "DUE": return `应种${f.latestDate ? `，${f.latestDate} 前接种为及时` : ""}`;
    case "OVERDUE": return `已逾期，需补种${f.catchUpUntil ? `（${f.catchUpUntil} 前）` : ""}`;
    case "NOT_YET": return f.earliestDate ? `${f.earliestDate} 起可种` : "未到接种时间";
    default: return f.reason || f.stateName;
  }
}

// The doses a 接种登记 form offers: every open dose of the forecast (应种 and 逾期 first, then
// 未到), one per series and dose, valued by the vaccine to give.
export interface DoseOption { value: string; label: string; series: string; dose: number; state: string }
export function doseOptions(forecast: ForecastDose[]): DoseOption[] {
  const rank: Record<string, number> = { DUE: 0, OVERDUE: 0, NOT_YET: 1 };
  const open = forecast.filter((f) => f.state in rank);
  const seen = new Set<string>();
  const out: DoseOption[] = [];
  for (const f of [...open].sort((a, b) => rank[a.state] - rank[b.state])) {
    const key = `${f.series}|${f.dose}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ value: f.vaccine, label: `${f.vaccineName} 第${f.dose}剂（${f.stateName}）`, series: f.series, dose: f.dose, state: f.state });
  }
  return out;
}

// How a vaccine is usually given (《预防接种工作规范》): its route and site.
const ORAL = new Set(["bOPV", "RV"]);
const SUBCUTANEOUS = new Set(["MMR", "JE-L", "MPSV-A", "MPSV-AC", "HepA-L", "VarV"]);
export function defaultRoute(vaccine: string): { route: string; site: string } {
  if (ORAL.has(vaccine)) return { route: "口服", site: "口服" };
  if (vaccine === "BCG") return { route: "皮内注射", site: "左上臂三角肌" };
  if (SUBCUTANEOUS.has(vaccine)) return { route: "皮下注射", site: "上臂外侧三角肌下缘" };
  return { route: "肌内注射", site: "上臂三角肌" };
}
export const ROUTES = ["肌内注射", "皮下注射", "皮内注射", "口服"];
export const SITES = ["上臂三角肌", "左上臂三角肌", "右上臂三角肌", "上臂外侧三角肌下缘", "大腿前外侧中部", "口服"];

// The 接种单位 among the units a user may read: facilities that vaccinate.
export const VACCINATING = ["卫生院", "社区卫生服务中心", "村卫生室", "妇幼保健院", "医院"];
export interface UnitRow { id: string; code?: string; name: string; level: number; facilityType?: string; parent?: { id: string; name: string } }
export function vaccinationUnits(units: UnitRow[]): UnitRow[] {
  return units.filter((u) => !!u.facilityType && VACCINATING.includes(u.facilityType));
}

// A 20-digit 疫苗追溯码 as scanned or typed (spaces dropped); the message when it is not one.
export function checkTraceCode(text: string): string | null {
  const s = text.replace(/\s+/g, "");
  if (!s) return null;
  return /^\d{20}$/.test(s) ? null : `疫苗追溯码应为 20 位数字（现为 ${s.length} 位）`;
}

// The 疫苗追溯码 in what a scanner read off a box, or null. A 药品追溯码 is 20 digits, printed as
// Code 128 or DataMatrix; what comes back may carry more: a symbology prefix ("]C1", "]d2"),
// spaces or hyphens between digit groups, full-width digits (a wedge scanner typing into a
// Chinese input method), or the code inside a longer text (an address with "?code=…"). The code
// is the one run of exactly 20 digits; a text with none, or with two different ones, gives null.
export function traceCodeFromScan(text: string): string | null {
  const s = text
    .replace(/[\uFF10-\uFF19]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xff10 + 48))
    .replace(/^\][A-Za-z]\d/, "")
    .replace(/[\s\-\u2010-\u2015]+/g, "");
  if (/^\d{20}$/.test(s)) return s;
  const runs = new Set((s.match(/\d+/g) ?? []).filter((r) => r.length === 20));
  return runs.size === 1 ? [...runs][0] : null;
}

// What the 扫码 status says after a read: the code filled in, or why the text read is not one.
export function scanResultText(text: string): { code: string | null; message: string } {
  const code = traceCodeFromScan(text);
  if (code) return { code, message: `已识别追溯码 ${code}（20 位），请核对后登记` };
  const shown = text.length > 32 ? text.slice(0, 32) + "…" : text;
  return { code: null, message: `识别到的条码“${shown}”不是 20 位追溯码：请扫描药盒上的追溯码，或手工输入` };
}

// The vaccine catalogue as the server keeps it (src/tracker/schedule.cc): code and name, for the
// 入库 and 禁忌/暂缓 forms (a lot of any catalogue vaccine may arrive before a child needs it).
export const VACCINES: { code: string; name: string }[] = [
  ["HepB", "乙肝疫苗"], ["BCG", "卡介苗"], ["IPV", "脊灰灭活疫苗"], ["bOPV", "脊灰减毒活疫苗"],
  ["DTaP", "百白破疫苗"], ["DT", "白破疫苗"], ["MMR", "麻腮风疫苗"], ["JE-L", "乙脑减毒活疫苗"],
  ["JE-I", "乙脑灭活疫苗"], ["MPSV-A", "A群流脑多糖疫苗"], ["MPSV-AC", "A群C群流脑多糖疫苗"],
  ["HepA-L", "甲肝减毒活疫苗"], ["HepA-I", "甲肝灭活疫苗"], ["VarV", "水痘减毒活疫苗"],
  ["PCV13", "13价肺炎球菌多糖结合疫苗"], ["Hib", "b型流感嗜血杆菌结合疫苗"], ["RV", "轮状病毒疫苗"],
  ["EV71", "肠道病毒71型灭活疫苗"], ["Flu", "流感疫苗"], ["HPV", "人乳头瘤病毒疫苗"],
  ["MPCV-ACYW", "ACYW135群流脑多糖结合疫苗"],
].map(([code, name]) => ({ code, name }));

// A lot's expiry in words on `daysToExpiry` (negative: expired).
export function expiryText(daysToExpiry: number): string {
  if (daysToExpiry < 0) return `已过期 ${-daysToExpiry} 天`;
  if (daysToExpiry === 0) return "今天到期";
  return `${daysToExpiry} 天后到期`;
}

// A 盘点 line's difference in words: 盘亏 2 剂, 盘盈 1 剂, 相符.
export function countDifference(before: number, counted: number): string {
  const d = counted - before;
  return d < 0 ? `盘亏 ${-d} 剂` : d > 0 ? `盘盈 ${d} 剂` : "相符";
}

// Where a refusal's field is on the 库存 forms: a movement's field is the control "stk-<field>";
// a count's "counts[i].counted|lot|vaccine" is row i's box "cnt-<i>", "counts[i].reason" the
// count's reason, "counts" the first row; any other count field "cnt-<field>".
export function stockControl(form: "movement" | "count", field: string | undefined): string | null {
  if (!field) return null;
  if (form === "movement") return /^[A-Za-z]+$/.test(field) ? "stk-" + field : null;
  const row = /^counts\[(\d+)\]\.(\w+)$/.exec(field);
  if (row) return row[2] === "reason" ? "cnt-reason" : "cnt-" + row[1];
  if (field === "counts") return "cnt-0";
  return /^[A-Za-z]+$/.test(field) ? "cnt-" + field : null;
}
