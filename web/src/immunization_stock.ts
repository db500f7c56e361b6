// 库存 and the county's AEFI list (issue 17): the immunization pages a 接种单位 keeps its vaccine
// stock with on a phone, and a county officer reads the AEFI reports of his units with.
// /admin/immunization?view=stock&ou=&date= shows the unit's balances per vaccine and lot, lots
// expired or expiring soon, what the due lists of the next 30 days need against what is on hand,
// the forms for 入库 / 出库 (to a unit of the system or outside it) / 报损 and 盘点, and the latest
// movements; ?view=aefi&ou=&from=&to= lists the AEFI reports made in a unit and below it. Every
// figure comes from /api/immunization/stock… and /api/immunization/aefi; a refusal (409 naming
// the field) is shown beside that field. Each view is drawn afresh from the API after a write.

import { ApiError, call, el } from "./dom";
import { clearErrors, field, message, refusalText, showError, today } from "./immunization_form";
import { countDifference, expiryText, stockControl, VACCINES, type UnitRow } from "./immunization_logic";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Lot {
  orgUnit: { id: string; name: string }; vaccine: string; vaccineName: string; lot: string; manufacturer: string;
  expiry: string; balance: number; expired: boolean; daysToExpiry: number;
}

export interface StockView { ou: string; date: string; from?: string; to?: string }

// The address of a view of these pages.
export function stockHref(page: "stock" | "aefi", v: StockView): string {
  const q = new URLSearchParams({ view: page });
  if (v.ou) q.set("ou", v.ou);
  if (page === "stock" && v.date) q.set("date", v.date);
  if (page === "aefi") {
    if (v.from) q.set("from", v.from);
    if (v.to) q.set("to", v.to);
  }
  return "/admin/immunization?" + q.toString();
}

function unitSelect(id: string, units: UnitRow[], chosen: string): HTMLSelectElement {
  const s = el("select", { id, name: "ou" }) as HTMLSelectElement;
  for (const u of units) s.append(el("option", { value: u.id, selected: u.id === chosen }, u.name));
  return s;
}

function lotLine(l: Lot): string {
  return `批号 ${l.lot} · 有效期 ${l.expiry} · 在库 ${l.balance} 剂`;
}

// ---------------------------------------------------------------- 库存

export async function drawStock(app: HTMLElement, v: StockView, units: UnitRow[], go: (href: string) => void,
  refresh: () => void): Promise<void> {
  const unitSel = unitSelect("stk-ou", units, v.ou);
  const date = el("input", { id: "stk-on", type: "date", value: v.date, max: today() }) as HTMLInputElement;
  const choose = el("form", { class: "imm-controls", "aria-label": "选择接种单位和日期" },
    field("接种单位", unitSel), field("查看日期", date), el("button", { type: "submit" }, "查看库存"));
  choose.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go(stockHref("stock", { ou: unitSel.value, date: date.value || today() }));
  });
  unitSel.addEventListener("change", () => choose.requestSubmit());
  const status = el("p", { role: "status", id: "stk-status" }, "正在读取库存……");
  const head = el("section", { class: "stock-summary", "aria-labelledby": "stk-title" },
    el("h2", { id: "stk-title", tabindex: "-1" }, "疫苗库存"), status);
  app.append(choose, head);
  const note = sessionStorage.getItem("wj-imm-stock-note");
  if (note) {
    sessionStorage.removeItem("wj-imm-stock-note");
    head.append(el("p", { class: "ok", id: "stk-note" }, note));
  }

  let stock: Json;
  try {
    stock = await call("/api/immunization/stock?" + new URLSearchParams({ ou: v.ou, date: v.date, expiringDays: "30" }).toString());
  } catch (e) {
    status.className = "error";
    status.textContent = "读取失败：" + message(e);
    return;
  }
  const lots: Lot[] = stock.lots;
  const usable = (stock.byVaccine as Json[]).reduce((n, x) => n + x.usable, 0);
  status.textContent = lots.length
    ? `${stock.orgUnit.name} ${stock.date}：${stock.byVaccine.length} 种疫苗、${lots.length} 个批号，可用 ${usable} 剂`
    : `${stock.orgUnit.name} ${stock.date} 没有在库的疫苗`;

  // Expiry alerts: expired lots (to 报损) and lots expiring within 30 days (to use first).
  const alerts = el("section", { class: "stock-alerts", "aria-labelledby": "stk-alert-title" },
    el("h2", { id: "stk-alert-title" }, "效期提醒"));
  if (!stock.expired.length && !stock.expiring.length) alerts.append(el("p", { class: "muted" }, "没有过期或 30 天内到期的批号"));
  const alertList = el("ul", { class: "stock-list", "aria-label": "过期和近效期批号" });
  for (const [rows, cls] of [[stock.expired, "st-overdue"], [stock.expiring, "st-due"]] as [Lot[], string][])
    for (const l of rows) {
      const li = el("li", { class: "lot-row " + cls, "data-lot": l.lot },
        el("strong", {}, l.vaccineName), ` ${lotLine(l)}`, el("span", { class: "badge" }, expiryText(l.daysToExpiry)));
      if (l.expired) {
        const b = el("button", { type: "button", class: "secondary", "aria-label": `报损${l.vaccineName}批号${l.lot}` }, "报损此批");
        b.addEventListener("click", () => prefillLoss(l));
        li.append(b);
      }
      alertList.append(li);
    }
  if (alertList.childElementCount) alerts.append(alertList);

  // Needs: the due lists of the next 30 days against what is on hand.
  const needs = el("section", { class: "stock-needs", "aria-labelledby": "stk-need-title" },
    el("h2", { id: "stk-need-title" }, `应种需求（${stock.needs.from} 至 ${stock.needs.to}）`));
  const needList = el("ul", { class: "stock-list", id: "stk-needs" });
  for (const n of stock.needs.vaccines as Json[]) {
    if (!n.dosesDue && !n.onHand) continue;
    needList.append(el("li", { class: n.shortfall ? "lot-row st-overdue" : "lot-row", "data-vaccine": n.vaccine },
      el("strong", {}, n.vaccineName), ` 应种 ${n.dosesDue} 剂，在库 ${n.onHand} 剂`,
      n.shortfall ? el("span", { class: "badge" }, `缺 ${n.shortfall} 剂`) : null));
  }
  needs.append(needList.childElementCount ? needList : el("p", { class: "muted" }, "未来 30 天没有应种的剂次"));

  // Balances by vaccine and lot.
  const byLot = el("section", { class: "stock-lots", "aria-labelledby": "stk-lot-title" },
    el("h2", { id: "stk-lot-title" }, "各批号库存"));
  const lotList = el("ul", { class: "stock-list", id: "stk-lots" });
  for (const l of lots)
    lotList.append(el("li", { class: "lot-row" + (l.expired ? " st-overdue" : ""), "data-lot": l.lot, "data-vaccine": l.vaccine, "data-balance": String(l.balance) },
      el("strong", {}, l.vaccineName), ` ${lotLine(l)}`, l.manufacturer ? el("span", { class: "muted" }, ` · ${l.manufacturer}`) : null,
      l.orgUnit.id !== stock.orgUnit.id ? el("span", { class: "muted" }, ` · ${l.orgUnit.name}`) : null));
  byLot.append(lotList.childElementCount ? lotList : el("p", { class: "muted" }, "没有在库的批号"));

  const { form: moveForm, prefillLoss } = movementForm(v, units, lots, refresh);
  app.append(alerts, needs, byLot, moveForm, countForm(v, lots.filter((l) => l.orgUnit.id === stock.orgUnit.id), refresh));
  // The ledger is read after the balances are on the page (not before they are shown: the
  // status already says how many lots there are).
  app.append(await ledger(v));
}

// 入库 / 出库 / 报损: one form whose fields follow the kind.
function movementForm(v: StockView, units: UnitRow[], lots: Lot[], refresh: () => void):
  { form: HTMLElement; prefillLoss: (l: Lot) => void } {
  const kind = el("select", { id: "stk-kind" }) as HTMLSelectElement;
  for (const [k, t] of [["RECEIPT", "入库"], ["ISSUE", "出库"], ["LOSS", "报损"]]) kind.append(el("option", { value: k }, t));
  const vaccine = el("select", { id: "stk-vaccine" }) as HTMLSelectElement;
  vaccine.append(el("option", { value: "" }, "请选择疫苗"));
  for (const x of VACCINES) vaccine.append(el("option", { value: x.code }, x.name));
  const lot = el("input", { id: "stk-lot", autocomplete: "off", list: "stk-lots-held" }) as HTMLInputElement;
  const held = el("datalist", { id: "stk-lots-held" });
  const quantity = el("input", { id: "stk-quantity", type: "number", inputmode: "numeric", min: "1", step: "1" }) as HTMLInputElement;
  const date = el("input", { id: "stk-date", type: "date", value: today(), max: today() }) as HTMLInputElement;
  const expiry = el("input", { id: "stk-expiry", type: "date" }) as HTMLInputElement;
  const maker = el("input", { id: "stk-manufacturer", autocomplete: "off" }) as HTMLInputElement;
  const counterpart = el("input", { id: "stk-counterpart", autocomplete: "off" }) as HTMLInputElement;
  const to = el("select", { id: "stk-toOrgUnit" }) as HTMLSelectElement;
  to.append(el("option", { value: "" }, "（系统外单位，填写去向）"));
  for (const u of units) if (u.id !== v.ou) to.append(el("option", { value: u.id }, u.name));
  const reason = el("input", { id: "stk-reason", autocomplete: "off" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: "stk-move-status" });
  const only: Record<string, HTMLElement> = {
    expiry: field("有效期（新批号入库必填）", expiry), manufacturer: field("生产企业", maker),
    counterpart: field("来源 / 去向", counterpart, "入库填来源（如 鄂托克旗疾控中心），出库填去向"),
    to: field("接收单位（系统内调拨）", to), reason: field("报损原因", reason, "过期、破损、冷链异常等"),
  };
  const form = el("form", { id: "stock-form", novalidate: true, "aria-labelledby": "stk-move-title" },
    el("h2", { id: "stk-move-title" }, "出入库登记"),
    field("类型", kind), field("疫苗", vaccine), field("批号", lot), held, field("数量（剂）", quantity), field("日期", date),
    only.expiry, only.manufacturer, only.counterpart, only.to, only.reason,
    el("button", { type: "submit" }, "登记"), status) as HTMLFormElement;
  const follow = (): void => {
    const k = kind.value;
    only.expiry.hidden = k !== "RECEIPT";
    only.manufacturer.hidden = k !== "RECEIPT";
    only.counterpart.hidden = k === "LOSS";
    only.to.hidden = k !== "ISSUE";
    only.reason.hidden = k !== "LOSS";
    held.replaceChildren(...lots.filter((l) => !vaccine.value || l.vaccine === vaccine.value)
      .map((l) => el("option", { value: l.lot }, `${l.vaccineName} 有效期 ${l.expiry} 在库 ${l.balance}`)));
  };
  kind.addEventListener("change", follow);
  vaccine.addEventListener("change", follow);
  follow();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!vaccine.value) return showError(form, status, "stk-vaccine", "请选择疫苗");
    if (!lot.value.trim()) return showError(form, status, "stk-lot", "请填写批号");
    if (!/^\d+$/.test(quantity.value) || Number(quantity.value) < 1) return showError(form, status, "stk-quantity", "数量应为正整数（剂）");
    const body: Json = { orgUnit: v.ou, kind: kind.value, vaccine: vaccine.value, lot: lot.value.trim(), quantity: Number(quantity.value), date: date.value };
    if (kind.value === "RECEIPT") { body.expiry = expiry.value; body.manufacturer = maker.value.trim(); }
    if (kind.value !== "LOSS") body.counterpart = counterpart.value.trim();
    if (kind.value === "ISSUE" && to.value) body.toOrgUnit = to.value;
    if (kind.value === "LOSS") body.reason = reason.value.trim();
    status.className = "";
    status.textContent = "正在登记……";
    try {
      const out = await call("/api/immunization/stock/movements", { method: "POST", body: JSON.stringify(body) });
      const m = out.movements[0];
      sessionStorage.setItem("wj-imm-stock-note", `已登记${m.kindName}：批号 ${m.lot} ${Math.abs(m.quantity)} 剂，结存 ${m.balance} 剂`);
      refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) showError(form, status, stockControl("movement", e.body?.field), refusalText(e));
      else { status.className = "error"; status.textContent = "登记失败：" + message(e); }
    }
  });
  const prefillLoss = (l: Lot): void => {
    kind.value = "LOSS";
    vaccine.value = l.vaccine;
    lot.value = l.lot;
    quantity.value = String(l.balance);
    reason.value = "过期";
    follow();
    form.scrollIntoView();
    kind.focus();
  };
  return { form, prefillLoss };
}

// 盘点: the counted quantity of every lot the unit holds, prefilled with the balance.
function countForm(v: StockView, lots: Lot[], refresh: () => void): HTMLElement {
  const section = el("section", { class: "stock-count", "aria-labelledby": "cnt-title" }, el("h2", { id: "cnt-title" }, "盘点"));
  if (!lots.length) {
    section.append(el("p", { class: "muted" }, "没有在库的批号可盘点"));
    return section;
  }
  const date = el("input", { id: "cnt-date", type: "date", value: today(), max: today() }) as HTMLInputElement;
  const reason = el("input", { id: "cnt-reason", autocomplete: "off" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: "cnt-status" });
  const boxes = lots.map((l, i) => {
    const box = el("input", { id: "cnt-" + i, type: "number", inputmode: "numeric", min: "0", step: "1", value: String(l.balance),
      "data-lot": l.lot, "data-vaccine": l.vaccine }) as HTMLInputElement;
    const diff = el("span", { class: "muted count-diff", "aria-live": "polite" }, "相符");
    box.addEventListener("input", () => { diff.textContent = /^\d+$/.test(box.value) ? countDifference(l.balance, Number(box.value)) : ""; });
    const f = field(`${l.vaccineName} 批号 ${l.lot}（账面 ${l.balance} 剂）`, box);
    f.append(diff);
    return { l, box, f };
  });
  const form = el("form", { id: "count-form", novalidate: true, "aria-label": "盘点" },
    el("p", { class: "hint muted" }, "逐个批号清点冰箱中的疫苗，填写实盘数量；与账面不符的差异记为盘点调整。"),
    field("盘点日期", date), ...boxes.map((b) => b.f),
    field("差异原因", reason, "有差异时必填，如 破损未报损、登记漏记"),
    el("button", { type: "submit" }, "提交盘点"), status) as HTMLFormElement;
  section.append(form);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (const b of boxes)
      if (!/^\d+$/.test(b.box.value)) return showError(form, status, b.box.id, "实盘数量应为 0 或正整数（剂）");
    const counts = boxes.map((b) => ({ vaccine: b.l.vaccine, lot: b.l.lot, counted: Number(b.box.value) }));
    status.className = "";
    status.textContent = "正在提交盘点……";
    try {
      const out = await call("/api/immunization/stock/counts", { method: "POST",
        body: JSON.stringify({ orgUnit: v.ou, date: date.value, reason: reason.value.trim(), counts }) });
      sessionStorage.setItem("wj-imm-stock-note", out.adjusted
        ? `盘点完成：${out.counts.length} 个批号，${out.adjusted} 个有差异，已记为盘点调整`
        : `盘点完成：${out.counts.length} 个批号，账实相符`);
      refresh();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) showError(form, status, stockControl("count", e.body?.field), refusalText(e));
      else { status.className = "error"; status.textContent = "盘点失败：" + message(e); }
    }
  });
  return section;
}

// The latest movements of the unit.
async function ledger(v: StockView): Promise<HTMLElement> {
  const section = el("section", { class: "stock-ledger", "aria-labelledby": "led-title" }, el("h2", { id: "led-title" }, "最近出入库记录"));
  try {
    const r = await call("/api/immunization/stock/movements?" + new URLSearchParams({ ou: v.ou }).toString());
    const rows = (r.movements as Json[]).slice(0, 20);
    if (!rows.length) section.append(el("p", { class: "muted" }, "还没有出入库记录"));
    else section.append(el("ol", { class: "dose-history", id: "stk-ledger" }, ...rows.map((m) =>
      el("li", { "data-kind": m.kind }, el("span", { class: "date" }, m.date), ` ${m.kindName} ${m.vaccineName} 批号 ${m.lot} `,
        el("strong", {}, `${m.quantity > 0 ? "+" : ""}${m.quantity}`), " 剂",
        m.counterpart || m.reason ? el("span", { class: "muted" }, ` · ${[m.counterpart, m.reason].filter(Boolean).join("，")}`) : null))));
  } catch (e) {
    section.append(el("p", { class: "error" }, "读取失败：" + message(e)));
  }
  return section;
}

// ---------------------------------------------------------------- the county's AEFI list

export async function drawAefiList(app: HTMLElement, v: StockView, units: UnitRow[], go: (href: string) => void,
  childHref: (te: string) => string): Promise<void> {
  const unitSel = unitSelect("aefi-ou", units, v.ou);
  const from = el("input", { id: "aefi-from", type: "date", value: v.from ?? "" }) as HTMLInputElement;
  const to = el("input", { id: "aefi-to", type: "date", value: v.to ?? today(), max: today() }) as HTMLInputElement;
  const choose = el("form", { class: "imm-controls", "aria-label": "选择单位和报告日期", novalidate: true },
    field("单位", unitSel), field("报告日期自", from, "不填：截止日期前 90 天"), field("至", to),
    el("button", { type: "submit" }, "查看报告"));
  const status = el("p", { role: "status", id: "aefi-status" }, "正在读取……");
  choose.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go(stockHref("aefi", { ou: unitSel.value, date: "", from: from.value, to: to.value }));
  });
  const list = el("section", { "aria-labelledby": "aefi-title" }, el("h2", { id: "aefi-title", tabindex: "-1" }, "疑似预防接种异常反应报告"), status);
  app.append(choose, list);
  const q = new URLSearchParams({ ou: v.ou });
  if (v.from) q.set("from", v.from);
  if (v.to) q.set("to", v.to);
  let r: Json;
  try {
    r = await call("/api/immunization/aefi?" + q.toString());
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      showError(choose, status, e.body?.field === "from" ? "aefi-from" : e.body?.field === "to" ? "aefi-to" : "aefi-ou", refusalText(e));
    } else { status.className = "error"; status.textContent = "读取失败：" + message(e); }
    return;
  }
  status.textContent = `${r.orgUnit.name} ${r.from} 至 ${r.to}：${r.summary.reports} 份报告，其中严重 ${r.summary.serious} 份${r.truncated ? "（仅显示前 1000 份）" : ""}`;
  if (!r.reports.length) return;
  list.append(el("ul", { class: "stock-list", id: "aefi-list" }, ...(r.reports as Json[]).map((a) =>
    el("li", { class: "lot-row" + (a.serious ? " st-overdue" : ""), "data-aefi": a.aefi },
      el("strong", {}, `${a.reportDate} 报告`), ` ${a.vaccineName}（${a.doseDate} 接种），${a.onsetDate} 发生：${a.symptoms}`,
      el("span", { class: "badge" }, `${a.serious ? "严重" : "非严重"} · ${a.outcomeName}`),
      el("span", { class: "muted" }, ` · 报告单位 ${a.orgUnit?.name ?? ""}`),
      el("a", { class: "button secondary", href: childHref(a.trackedEntity), "data-view": "1" }, "查看接种卡")))));
}
