// Periods as officers type them, turned into the DHIS2 period identifiers /api/analytics reads.
//
// Accepted (full-width digits and separators too): a year (2024, 2024年), a quarter (2024Q1,
// 2024年第1季度, 2024年一季度), a half year (2024S1, 2024年上半年), a month (202407, 2024-07,
// 2024年7月), ranges of those (202401..202407, 2024-01..2024-07, 2024年1-7月, 2024年1月至7月,
// 2023年11月-2024年2月, 2024年第1-3季度, 2022-2024年) and DHIS2's relative periods
// (LAST_12_MONTHS …), several separated by ；，、 or spaces. Everything else is refused with a
// Chinese message naming the text and what was wrong. A span can stay whole (one column) or be
// split into months, quarters or years; a quarter or year only partly inside the span becomes
// the part that is inside (2024年1-7月 by quarter: 2024Q1, 2024Q2, 202407).
//
// Pure functions over month numbers (year × 12 + month − 1); no state. Used by the pivot.

export type Split = "none" | "month" | "quarter" | "year";

export interface ParsedPeriods {
  ids: string[]; // DHIS2 identifiers in order (a range as "202401..202407")
  error: string | null; // a Chinese message naming what was wrong, or null
}

const HELP = "可写成 2024、2024年1-7月、2024-01..2024-07、202401..202407、2024年第1季度 或 LAST_12_MONTHS";
const RELATIVE = new Set(["THIS_MONTH", "LAST_MONTH", "THIS_QUARTER", "LAST_QUARTER", "THIS_YEAR", "LAST_YEAR",
  "LAST_3_MONTHS", "LAST_6_MONTHS", "LAST_12_MONTHS", "MONTHS_THIS_YEAR", "QUARTERS_THIS_YEAR",
  "LAST_4_QUARTERS", "LAST_5_YEARS", "THIS_SIX_MONTH", "LAST_SIX_MONTH", "LAST_2_SIXMONTHS",
  "MONTHS_LAST_YEAR", "QUARTERS_LAST_YEAR"]);

// A span of whole months, inclusive: [first, last] as year × 12 + month − 1.
interface Span { first: number; last: number }

class PeriodError extends Error {}

const CN_DIGITS: Record<string, string> = { 一: "1", 二: "2", 三: "3", 四: "4" };

function month(y: number, m: number, text: string): number {
  if (y < 1900 || y > 2100) throw new PeriodError(`“${text}”的年份 ${y} 不在 1900 到 2100 之间`);
  if (m < 1 || m > 12) throw new PeriodError(`“${text}”的月份 ${m} 不存在：月份应为 1 到 12`);
  return y * 12 + m - 1;
}

function quarter(y: number, q: number, text: string): Span {
  if (q < 1 || q > 4) throw new PeriodError(`“${text}”的季度 ${q} 不存在：季度应为 1 到 4`);
  const first = month(y, q * 3 - 2, text);
  return { first, last: first + 2 };
}

function year(y: number, text: string): Span {
  const first = month(y, 1, text);
  return { first, last: first + 11 };
}

// One period (not a range). `inheritYear` lets the end of "2024年1月至7月" omit its year.
function single(raw: string, inheritYear: number | null, whole: string): Span {
  const t = raw.replace(/[一二三四](?=季度)/g, (c) => CN_DIGITS[c]);
  let m: RegExpMatchArray | null;
  if ((m = t.match(/^(\d{4})年?$/))) return year(Number(m[1]), whole);
  if ((m = t.match(/^(\d{4})(?:Q|年第?)(\d)(?:季度)?$/))) {
    if (/Q/.test(t) || /季度$/.test(t)) return quarter(Number(m[1]), Number(m[2]), whole);
  }
  if ((m = t.match(/^(\d{4})(?:S([12])|年([上下])半年)$/))) {
    const first = month(Number(m[1]), m[2] === "2" || m[3] === "下" ? 7 : 1, whole);
    return { first, last: first + 5 };
  }
  if ((m = t.match(/^(\d{4})(?:[-/.]?(\d{2})|[-/.](\d{1,2})|年(\d{1,2})月?)$/))) {
    const v = month(Number(m[1]), Number(m[2] ?? m[3] ?? m[4]), whole);
    return { first: v, last: v };
  }
  if (inheritYear !== null) {
    if ((m = t.match(/^(\d{1,2})月$/))) {
      const v = month(inheritYear, Number(m[1]), whole);
      return { first: v, last: v };
    }
    if ((m = t.match(/^第?(\d)季度$/))) return quarter(inheritYear, Number(m[1]), whole);
  }
  throw new PeriodError(`无法识别期间“${whole}”：${HELP}`);
}

function range(text: string): Span {
  let m: RegExpMatchArray | null;
  // Chinese compact forms with a hyphen: 2024年1-7月, 2024年1月-7月, 2024年第1-3季度, 2022-2024年.
  if ((m = text.match(/^(\d{4})年(\d{1,2})月?[-—–](\d{1,2})月$/)))
    return ordered({ first: month(Number(m[1]), Number(m[2]), text), last: month(Number(m[1]), Number(m[3]), text) }, text);
  if ((m = text.match(/^(\d{4})年第?(\d)[-—–](\d)季度$/)))
    return ordered({ first: quarter(Number(m[1]), Number(m[2]), text).first, last: quarter(Number(m[1]), Number(m[3]), text).last }, text);
  if ((m = text.match(/^(\d{4})年?[-—–](\d{4})年$/)))
    return ordered({ first: year(Number(m[1]), text).first, last: year(Number(m[2]), text).last }, text);
  // A separator between two periods: .., ~, 至, 到, — or a hyphen after 月/季度/年.
  const parts = text.split(/\.\.|~|至|到|—|–|(?<=[月度年])-/);
  if (parts.length === 2 && parts[0] && parts[1]) {
    const a = single(parts[0], null, text);
    const yearOfA = Math.floor(a.first / 12);
    const b = single(parts[1], yearOfA, text);
    return ordered({ first: a.first, last: b.last }, text);
  }
  if (parts.length > 2) throw new PeriodError(`期间“${text}”里有不止一个“至”：一个范围只写起止两个期间`);
  return single(text, null, text);
}

function ordered(s: Span, text: string): Span {
  if (s.last < s.first) throw new PeriodError(`期间“${text}”的结束早于开始`);
  return s;
}

const mm = (v: number): string => `${Math.floor(v / 12)}${String((v % 12) + 1).padStart(2, "0")}`;

// The identifier of a span: a whole year, quarter or month as itself, otherwise a month range.
function idOf(s: Span): string {
  const y = Math.floor(s.first / 12), m0 = s.first % 12, len = s.last - s.first + 1;
  if (len === 12 && m0 === 0) return String(y);
  if (len === 3 && m0 % 3 === 0) return `${y}Q${m0 / 3 + 1}`;
  if (len === 1) return mm(s.first);
  // Whole years or whole quarters keep their kind (the server names 2024Q1..2024Q3 2024年第1-3季度).
  if (m0 === 0 && len % 12 === 0) return `${y}..${Math.floor(s.last / 12)}`;
  if (m0 % 3 === 0 && len % 3 === 0) {
    const e = s.last - 2;
    return `${y}Q${m0 / 3 + 1}..${Math.floor(e / 12)}Q${(e % 12) / 3 + 1}`;
  }
  return `${mm(s.first)}..${mm(s.last)}`;
}

function splitSpan(s: Span, split: Split): string[] {
  if (split === "none") return [idOf(s)];
  const size = split === "month" ? 1 : split === "quarter" ? 3 : 12;
  const out: string[] = [];
  for (let start = s.first; start <= s.last;) {
    const blockEnd = start - (start % size) + size - 1; // the end of the quarter or year
    const end = Math.min(blockEnd, s.last);
    out.push(idOf({ first: start, last: end }));
    start = end + 1;
  }
  return out;
}

// Normalises full-width characters and the spaces around range separators.
function normalise(text: string): string {
  return text
    .replace(/[０-９Ａ-Ｚａ-ｚ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/．．|。。/g, "..").replace(/～/g, "~").replace(/－/g, "-").replace(/／/g, "/")
    .replace(/\s*(\.\.|~|至|到|—|–)\s*/g, "$1").replace(/\s+-\s+/g, "..");
}

export function parsePeriods(text: string, split: Split = "none"): ParsedPeriods {
  const tokens = normalise(text).split(/[;；,，、\s]+/).filter((x) => x);
  if (!tokens.length) return { ids: [], error: `请填写期间：${HELP}` };
  const ids: string[] = [];
  try {
    for (const t of tokens) {
      if (RELATIVE.has(t.toUpperCase())) ids.push(t.toUpperCase());
      else ids.push(...splitSpan(range(t), split));
    }
  } catch (e) {
    if (e instanceof PeriodError) return { ids: [], error: e.message };
    throw e;
  }
  return { ids: [...new Set(ids)], error: null };
}
