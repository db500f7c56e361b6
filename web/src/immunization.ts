// 接种日 (issue 17): the pages a village doctor (乡村医生/接种员) runs a vaccination day with on a
// phone. One page, /admin/immunization, whose address holds what is shown, so Back and a pasted
// address work: ?ou=&date= the 应种/逾期 list of a 接种单位 on a day (with search by ID number
// or name + birth date, and the list as XLSX), &child=UID one child's card (the forecast, the
// doses given, 接种登记), &new=1 儿童建档. Everything comes from /api/immunization/*; a refusal
// (409 naming the field) is shown in Chinese beside that field. State: the units and the user
// are read once per page load; each view is drawn afresh from the API.

import { ApiError, call, el } from "./dom";
import { clearErrors, field, message, refusalText, showError, today } from "./immunization_form";
import { drawAefiList, drawStock, stockHref } from "./immunization_stock";
import { traceScan } from "./trace_scan";
import {
  ageText, checkBirthCertificate, checkResidentId, checkTraceCode, defaultRoute, doseDetail, doseOptions,
  fieldControl, ROUTES, SITES, telHref, VACCINES, vaccinationUnits, type ForecastDose, type UnitRow,
} from "./immunization_logic";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Guardian { name: string; relation?: string; phone?: string }
interface Child {
  trackedEntity: string; name: string; sex: string; birthDate: string; status: string; masked: boolean;
  idNumber?: string; birthCertificate?: string; address?: string;
  orgUnit: { id: string; name: string }; village?: { id: string; name: string } | null;
  guardians: Guardian[]; doses?: Json[]; transfers?: Json[]; holds?: Json[]; aefi?: Json[];
}

const STATE_CLASS: Record<string, string> = {
  GIVEN: "st-given", GIVEN_INVALID: "st-invalid", DUE: "st-due", OVERDUE: "st-overdue", NOT_YET: "st-notyet",
  CONTRAINDICATED: "st-held", DEFERRED: "st-held",
};

// The state of the page, read from and written to the address.
// `page`: "" the 接种日 pages, "stock" 库存, "aefi" the AEFI reports (immunization_stock.ts).
interface View { ou: string; date: string; kind: string; child: string; isNew: boolean; page: string; from: string; to: string }
function readView(): View {
  const q = new URLSearchParams(location.search);
  return { ou: q.get("ou") ?? "", date: q.get("date") ?? today(), kind: q.get("kind") ?? "all", child: q.get("child") ?? "", isNew: q.get("new") === "1",
    page: q.get("view") ?? "", from: q.get("from") ?? "", to: q.get("to") ?? "" };
}
function viewHref(v: Partial<View>): string {
  const q = new URLSearchParams();
  if (v.ou) q.set("ou", v.ou);
  if (v.date) q.set("date", v.date);
  if (v.kind && v.kind !== "all") q.set("kind", v.kind);
  if (v.child) q.set("child", v.child);
  if (v.isNew) q.set("new", "1");
  return "/admin/immunization?" + q.toString();
}

function guardianLine(g: Guardian): HTMLElement {
  const who = `${g.relation ? g.relation + " " : ""}${g.name}`;
  const href = telHref(g.phone);
  return el("span", { class: "guardian" }, who + " ",
    href ? el("a", { class: "tel", href, "aria-label": `拨打${g.relation || "监护人"}${g.name}的电话 ${g.phone}` }, `拨打 ${g.phone}`)
      : el("span", { class: "muted" }, g.phone ?? ""));
}

export async function immunizationPage(app: HTMLElement): Promise<void> {
  const me = await call("/api/me");
  const all = await call("/api/organisationUnits?paging=false&fields=id,code,name,level,facilityType,parent");
  let units: UnitRow[] = vaccinationUnits(all.organisationUnits ?? []);
  // A user placed at a unit that is not a facility (a township's clerk with no 卫生院 below) works
  // at his own unit.
  if (!units.length) units = (me.organisationUnits?.length ? me.organisationUnits : me.dataViewOrganisationUnits) ?? [];
  const userName: string = me.displayName || me.username || "";
  const heading = document.querySelector("main h1");
  // The AEFI list is read for the user's own units (a county) as well as for the 接种单位.
  const own: UnitRow[] = [...(me.organisationUnits ?? []), ...(me.dataViewOrganisationUnits ?? [])];
  const readable = [...own, ...units].filter((u, i, all) => all.findIndex((x) => x.id === u.id) === i);
  const go = (href: string): void => navigate(app, href);
  const refresh = (): void => void draw(true).catch((e) => app.append(el("p", { class: "error", role: "alert" }, message(e))));

  const draw = async (focus: boolean): Promise<void> => {
    const v = readView();
    if (!v.ou && units.length) v.ou = units[0].id;
    app.replaceChildren();
    if (!units.length) {
      app.append(el("p", { class: "error", role: "alert" }, "您的账号没有可管理的接种单位，请联系管理员。"));
      return;
    }
    if (v.page === "aefi" && !new URLSearchParams(location.search).get("ou")) v.ou = readable[0].id;
    if (v.page === "stock") await drawStock(app, v, units, go, refresh);
    else if (v.page === "aefi") await drawAefiList(app, v, readable, go, (te) => viewHref({ ou: v.ou, child: te }));
    else if (v.child) await drawCard(app, v, userName, units, refresh);
    else if (v.isNew) await drawRegister(app, v, units);
    else await drawDay(app, v, units);
    if (heading)
      heading.textContent = v.page === "stock" ? "疫苗库存" : v.page === "aefi" ? "异常反应报告" : v.child ? "儿童接种卡" : v.isNew ? "儿童建档" : "接种日";
    document.title = (heading?.textContent ?? "接种日") + " - 卫健工作台";
    if (focus) app.querySelector<HTMLElement>("h2")?.focus();
  };
  // Links inside the page change the address without a reload.
  app.addEventListener("click", (ev) => {
    const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>("a[data-view]");
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    history.pushState(null, "", a.href);
    void draw(true).catch((e) => app.append(el("p", { class: "error", role: "alert" }, message(e))));
  });
  window.addEventListener("popstate", () => void draw(true).catch(() => undefined));
  app.addEventListener("wj-navigate", ((ev: CustomEvent<string>) => {
    history.pushState(null, "", ev.detail);
    void draw(true).catch((e) => app.append(el("p", { class: "error", role: "alert" }, message(e))));
  }) as EventListener);
  app.classList.add("imm");
  await draw(false);
}

function navigate(app: HTMLElement, href: string): void {
  app.dispatchEvent(new CustomEvent("wj-navigate", { detail: href }));
}

// ---------------------------------------------------------------- the 接种日 list

async function drawDay(app: HTMLElement, v: View, units: UnitRow[]): Promise<void> {
  const unitSel = el("select", { id: "imm-unit", name: "ou" }) as HTMLSelectElement;
  for (const u of units) unitSel.append(el("option", { value: u.id, selected: u.id === v.ou }, u.name));
  const date = el("input", { id: "imm-date", type: "date", name: "date", value: v.date, required: true }) as HTMLInputElement;
  const kind = el("select", { id: "imm-kind", name: "kind" }) as HTMLSelectElement;
  for (const [k, t] of [["all", "应种和逾期"], ["due", "只看应种"], ["overdue", "只看逾期（补种）"]])
    kind.append(el("option", { value: k, selected: k === v.kind }, t));
  const choose = el("form", { class: "imm-controls", "aria-label": "选择接种单位和日期" },
    field("接种单位", unitSel), field("接种日期", date), field("名单", kind),
    el("button", { type: "submit" }, "查看应种名单"));
  choose.addEventListener("submit", (ev) => {
    ev.preventDefault();
    navigate(app, viewHref({ ou: unitSel.value, date: date.value || today(), kind: kind.value }));
  });
  for (const c of [unitSel, kind]) c.addEventListener("change", () => choose.requestSubmit());

  const q = new URLSearchParams({ ou: v.ou, date: v.date, kind: v.kind });
  const actions = el("p", { class: "imm-actions" },
    el("a", { class: "button", href: "/api/immunization/due.xlsx?" + q.toString(), id: "imm-xlsx", download: "应种名单.xlsx" }, "下载应种名单（Excel）"),
    el("a", { class: "button secondary", href: viewHref({ ou: v.ou, date: v.date, isNew: true }), "data-view": "1", id: "imm-new" }, "儿童建档"),
    el("a", { class: "button secondary", href: stockHref("stock", { ou: v.ou, date: today() }), "data-view": "1", id: "imm-stock" }, "疫苗库存"),
    el("a", { class: "button secondary", href: stockHref("aefi", { ou: v.ou, date: "" }), "data-view": "1", id: "imm-aefi" }, "异常反应报告"));

  const list = el("section", { class: "due-list", "aria-labelledby": "due-title" },
    el("h2", { id: "due-title", tabindex: "-1" }, "应种名单"));
  app.append(choose, actions, searchBox(v), list);
  const status = el("p", { role: "status" }, "正在读取应种名单……");
  list.append(status);
  let due: Json;
  try {
    due = await call("/api/immunization/due?" + q.toString());
  } catch (e) {
    status.className = "error";
    status.textContent = "读取失败：" + message(e);
    return;
  }
  // The villages the unit's children live in, for 儿童建档 (a 卫生院's staff may not list its
  // township's villages): names and ids only, nothing personal.
  const villages = new Map<string, string>();
  for (const c of due.children as Child[]) if (c.village) villages.set(c.village.id, c.village.name);
  if (villages.size) sessionStorage.setItem("wj-imm-villages-" + v.ou, JSON.stringify([...villages]));
  const s = due.summary;
  status.textContent = s.children
    ? `${due.orgUnit.name} ${due.from}：${s.children} 名儿童，应种 ${s.dueDoses} 剂，逾期（补种）${s.overdueDoses} 剂`
    : `${due.orgUnit.name} ${due.from} 没有应种或逾期的儿童`;
  let village = "\u0000";
  let ul: HTMLElement | null = null;
  for (const c of due.children as (Child & { doses: Json[] })[]) {
    const vname = c.village?.name ?? "未填村";
    if (vname !== village || !ul) {
      village = vname;
      ul = el("ul", { class: "children", "aria-label": vname });
      list.append(el("h3", {}, vname), ul);
    }
    const overdue = c.doses.filter((d) => d.state === "OVERDUE").length;
    const doses = el("ul", { class: "dose-chips", "aria-label": "本次应种" },
      ...c.doses.map((d) => el("li", { class: d.state === "OVERDUE" ? "st-overdue" : "st-due", "data-series": d.series, "data-dose": String(d.dose) },
        `${d.vaccineName} 第${d.dose}剂 · ${d.state === "OVERDUE" ? "逾期" : "应种"}`)));
    ul.append(el("li", { class: "child-row", "data-te": c.trackedEntity, "data-birth": c.birthDate },
      el("a", { class: "child-link", href: viewHref({ ou: v.ou, date: v.date, kind: v.kind, child: c.trackedEntity }), "data-view": "1" },
        el("strong", { class: "child-name" }, c.name), ` ${c.sex === "M" ? "男" : "女"} · ${ageText(c.birthDate, due.from)}`,
        el("span", { class: "muted" }, ` · ${c.birthDate} 出生`),
        el("span", { class: "count" }, `${c.doses.length} 剂${overdue ? `（逾期 ${overdue}）` : ""}`)),
      doses,
      ...c.guardians.slice(0, 2).map((g) => el("p", { class: "guardian-line" }, guardianLine(g)))));
  }
}

// Search by ID number, or by name and birth date.
function searchBox(v: View): HTMLElement {
  const id = el("input", { id: "imm-q-id", inputmode: "text", autocomplete: "off", maxlength: "20" }) as HTMLInputElement;
  const name = el("input", { id: "imm-q-name", autocomplete: "off" }) as HTMLInputElement;
  const birth = el("input", { id: "imm-q-birth", type: "date" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: "imm-q-status" });
  const results = el("ul", { class: "children", id: "imm-q-results", "aria-label": "查找结果" });
  const form = el("form", { class: "imm-search", "aria-labelledby": "imm-q-title" },
    el("h2", { id: "imm-q-title" }, "查找儿童"),
    field("身份证号", id), el("p", { class: "or muted" }, "或"),
    el("div", { class: "pair" }, field("姓名", name), field("出生日期", birth)),
    el("button", { type: "submit" }, "查找"), status, results);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    results.replaceChildren();
    const q = new URLSearchParams();
    if (id.value.trim()) {
      const checked = checkResidentId(id.value, today());
      if (checked.error) return showError(form, status, "imm-q-id", checked.error);
      q.set("idNumber", checked.number!);
    } else {
      if (!name.value.trim()) return showError(form, status, "imm-q-id", "请填写身份证号，或姓名和出生日期");
      if (!birth.value) return showError(form, status, "imm-q-birth", "按姓名查找时请同时填写出生日期");
      q.set("name", name.value.trim());
      q.set("birthDate", birth.value);
    }
    status.className = "";
    status.textContent = "正在查找……";
    try {
      const r = await call("/api/immunization/children?" + q.toString());
      const found: Child[] = r.trackedEntities;
      status.textContent = found.length ? `找到 ${found.length} 名儿童` : "没有找到（仅查找您负责范围内的档案）";
      for (const c of found)
        results.append(el("li", { class: "child-row" }, el("a", { class: "child-link", href: viewHref({ ou: v.ou, date: v.date, child: c.trackedEntity }), "data-view": "1" },
          el("strong", {}, c.name), ` ${c.sex === "M" ? "男" : "女"} · ${c.birthDate} 出生 · ${c.orgUnit.name}${c.status === "ACTIVE" ? "" : "（已迁出）"}`)));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409)
        showError(form, status, e.body?.field === "idNumber" ? "imm-q-id" : e.body?.field === "birthDate" ? "imm-q-birth" : "imm-q-name", refusalText(e));
      else { status.className = "error"; status.textContent = "查找失败：" + message(e); }
    }
  });
  return el("details", { class: "imm-find" }, el("summary", {}, "按身份证号或姓名查找儿童"), form);
}

// ---------------------------------------------------------------- a child's card

async function drawCard(app: HTMLElement, v: View, userName: string, units: UnitRow[], refresh: () => void): Promise<void> {
  const back = el("a", { class: "back", href: viewHref({ ou: v.ou, date: v.date, kind: v.kind }), "data-view": "1" }, "← 返回应种名单");
  app.append(back);
  const note = takeNote();
  if (note) app.append(el("p", { role: "status", class: "ok", id: "reg-note" }, note));
  const [child, forecast] = await Promise.all([
    call<Child>("/api/immunization/children/" + encodeURIComponent(v.child)),
    call("/api/immunization/forecast?" + new URLSearchParams({ te: v.child, date: today() }).toString()),
  ]);
  const facts = el("dl", { class: "facts" });
  const fact = (k: string, val: Node | string | null): void => {
    if (val === null || val === "") return;
    facts.append(el("dt", {}, k), el("dd", {}, val));
  };
  fact("性别", child.sex === "M" ? "男" : "女");
  fact("出生日期", `${child.birthDate}（${ageText(child.birthDate, today())}）`);
  fact("身份证号", child.idNumber ?? "");
  fact("出生医学证明", child.birthCertificate ?? "");
  fact("接种单位", child.orgUnit.name);
  fact("村", child.village?.name ?? "");
  fact("住址", child.address ?? "");
  for (const g of child.guardians) fact("监护人", guardianLine(g));
  if (child.status !== "ACTIVE") fact("状态", "已迁出，不能再登记接种");
  app.append(el("section", { class: "child-card", "aria-labelledby": "child-title" },
    el("h2", { id: "child-title", tabindex: "-1" }, child.name), facts));

  const status = el("p", { role: "status", id: "dose-status" });
  const plan = el("section", { class: "forecast", "aria-labelledby": "fc-title" });
  const history = el("section", { class: "history", "aria-labelledby": "hist-title" });
  const formBox = el("section", { class: "dose-entry", "aria-labelledby": "dose-title" });
  app.append(plan, formBox, history);

  const renderPlan = (fc: Json, c: Child): void => {
    const rows: ForecastDose[] = fc.doses;
    plan.replaceChildren(el("h2", { id: "fc-title", tabindex: "-1" }, `接种计划（${fc.date}）`),
      el("p", { class: "muted" }, fc.schedule.name));
    // The doses to give today first, then the rest in the schedule's order.
    const now = el("ul", { class: "plan", "aria-labelledby": "fc-now" });
    const ul = el("ul", { class: "plan", "aria-labelledby": "fc-all" });
    for (const f of rows) {
      const open = f.state === "DUE" || f.state === "OVERDUE";
      const li = el("li", { class: "dose-row " + (STATE_CLASS[f.state] ?? ""), "data-vaccine": f.vaccine, "data-series": f.series, "data-dose": String(f.dose), "data-state": f.state },
        el("span", { class: "dose-name" }, `${f.vaccineName} 第${f.dose}剂`),
        el("span", { class: "badge" }, f.stateName),
        el("span", { class: "dose-detail" }, doseDetail(f)));
      if (open && c.status === "ACTIVE") {
        const pick = el("button", { type: "button", class: "secondary pick", "aria-label": `登记${f.vaccineName}第${f.dose}剂` }, "登记此剂");
        pick.addEventListener("click", () => {
          const sel = formBox.querySelector<HTMLSelectElement>("#dose-vaccine");
          if (!sel) return;
          sel.value = `${f.series}|${f.dose}`;
          sel.dispatchEvent(new Event("change"));
          sel.focus();
        });
        li.append(pick);
      }
      (open ? now : ul).append(li);
    }
    plan.append(el("h3", { id: "fc-now" }, now.childElementCount ? `今日可种（${now.childElementCount} 剂）` : "今日没有应种或逾期的疫苗"), now,
      el("h3", { id: "fc-all" }, "全部剂次"), ul);
  };
  const renderHistory = (c: Child): void => {
    history.replaceChildren(el("h2", { id: "hist-title" }, `接种记录（${c.doses?.length ?? 0} 剂）`));
    const doses = [...(c.doses ?? [])].sort((a, b) => (a.date < b.date ? 1 : -1));
    if (!doses.length) history.append(el("p", { class: "muted" }, "还没有接种记录"));
    else history.append(el("ol", { class: "dose-history" },
      ...doses.map((d) => el("li", {}, el("span", { class: "date" }, d.date), ` ${d.vaccineName}`, d.lot ? el("span", { class: "muted" }, ` · 批号 ${d.lot}`) : null))));
  };
  renderPlan(forecast, child);
  renderHistory(child);
  const base = "/api/immunization/children/" + encodeURIComponent(child.trackedEntity);
  app.append(el("section", { class: "prints", "aria-labelledby": "print-title" }, el("h2", { id: "print-title" }, "打印"),
    el("p", { class: "imm-actions" },
      el("a", { class: "button", id: "print-certificate", href: base + "/certificate.pdf", download: "预防接种证.pdf" }, "预防接种证（PDF）"),
      el("a", { class: "button secondary", id: "print-notice", href: base + "/notice.pdf", download: "预约通知单.pdf" }, "预约通知单（PDF）"))));
  app.append(holdsSection(child, refresh), aefiSection(child, refresh), transferSection(child, units, refresh));
  if (child.status !== "ACTIVE") return;

  // 接种登记
  const vaccine = el("select", { id: "dose-vaccine", required: true }) as HTMLSelectElement;
  const fillOptions = (fc: Json): void => {
    vaccine.replaceChildren(el("option", { value: "" }, "请选择疫苗及剂次"));
    for (const o of doseOptions(fc.doses)) vaccine.append(el("option", { value: `${o.series}|${o.dose}`, "data-vaccine": o.value }, o.label));
  };
  fillOptions(forecast);
  const date = el("input", { id: "dose-date", type: "date", value: today(), max: today(), required: true }) as HTMLInputElement;
  const site = el("select", { id: "dose-site" }) as HTMLSelectElement;
  for (const s of SITES) site.append(el("option", { value: s }, s));
  const route = el("select", { id: "dose-route" }) as HTMLSelectElement;
  for (const r of ROUTES) route.append(el("option", { value: r }, r));
  const lot = el("input", { id: "dose-lot", autocomplete: "off" }) as HTMLInputElement;
  const maker = el("input", { id: "dose-maker", autocomplete: "off" }) as HTMLInputElement;
  const expiry = el("input", { id: "dose-expiry", type: "date" }) as HTMLInputElement;
  const trace = el("input", { id: "dose-trace", inputmode: "numeric", autocomplete: "off", maxlength: "24", pattern: "[0-9 ]*" }) as HTMLInputElement;
  const vaccinator = el("input", { id: "dose-vaccinator", value: userName, autocomplete: "name" }) as HTMLInputElement;
  // The unit's lots on hand, for the lot box: the earliest expiry first (先到期先用).
  const heldLots = el("datalist", { id: "dose-lots" });
  lot.setAttribute("list", "dose-lots");
  let stock: Promise<Json[]> | null = null;
  vaccine.addEventListener("change", async () => {
    const code = vaccine.selectedOptions[0]?.dataset.vaccine;
    if (!code) return;
    const d = defaultRoute(code);
    route.value = d.route;
    site.value = d.site;
    stock ??= call("/api/immunization/stock?" + new URLSearchParams({ ou: child.orgUnit.id, date: today() }).toString())
      .then((r) => r.lots as Json[], () => []);
    const usable = (await stock).filter((l) => l.vaccine === code && !l.expired && l.balance > 0 && l.orgUnit.id === child.orgUnit.id);
    heldLots.replaceChildren(...usable.map((l) => el("option", { value: l.lot }, `有效期 ${l.expiry} 在库 ${l.balance} 剂`)));
    if (usable.length && !usable.some((l) => l.lot === lot.value)) lot.value = usable[0].lot;
  });
  // 扫码 beside the box: the camera or a photo (trace_scan.ts).
  const scan = traceScan(trace);
  const traceField = field("疫苗追溯码", trace, "按“扫码”用摄像头或拍照读取药盒上的条码，或输入 20 位数字");
  const traceRow = el("div", { class: "scan-row" });
  trace.replaceWith(traceRow);
  traceRow.append(trace, scan.button);
  traceField.append(scan.panel);
  const form = el("form", { id: "dose-form", novalidate: true },
    el("h2", { id: "dose-title" }, "接种登记"),
    field("疫苗及剂次", vaccine), field("接种日期", date), field("接种部位", site), field("接种途径", route),
    field("疫苗批号", lot, "本单位在库的批号按有效期先后列出"), heldLots, field("生产企业", maker), field("疫苗有效期", expiry),
    traceField, field("接种人员", vaccinator),
    el("button", { type: "submit" }, "登记接种"), status) as HTMLFormElement;
  formBox.append(form);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const picked = vaccine.selectedOptions[0]?.dataset.vaccine;
    if (!picked) return showError(form, status, "dose-vaccine", "请选择要登记的疫苗及剂次");
    if (!date.value) return showError(form, status, "dose-date", "请填写接种日期");
    const traceError = checkTraceCode(trace.value);
    if (traceError) return showError(form, status, "dose-trace", traceError);
    const body: Record<string, string> = {
      trackedEntity: child.trackedEntity, vaccine: picked, date: date.value, site: site.value, route: route.value,
      lot: lot.value.trim(), manufacturer: maker.value.trim(), vaccinator: vaccinator.value.trim(),
      traceCode: trace.value.replace(/\s+/g, ""),
    };
    if (expiry.value) body.lotExpiry = expiry.value;
    status.className = "";
    status.textContent = "正在登记……";
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
    button.disabled = true;
    try {
      const out = await call("/api/immunization/doses", { method: "POST", body: JSON.stringify(body) });
      const label = vaccine.selectedOptions[0]?.textContent?.replace(/（.*）$/, "") ?? picked;
      const [fc, c] = await Promise.all([
        call("/api/immunization/forecast?" + new URLSearchParams({ te: child.trackedEntity, date: today() }).toString()),
        call<Child>("/api/immunization/children/" + encodeURIComponent(child.trackedEntity)),
      ]);
      renderPlan(fc, c);
      renderHistory(c);
      fillOptions(fc);
      for (const c2 of [lot, maker, expiry, trace]) c2.value = "";
      scan.reset();
      status.className = out.state === "GIVEN_INVALID" ? "error" : "ok";
      status.textContent = `已登记：${label}，${out.date}，${out.stateName}${out.reason ? "（" + out.reason + "）" : ""}`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) showError(form, status, fieldControl("dose", e.body?.field), refusalText(e));
      else { status.className = "error"; status.textContent = "登记失败：" + message(e); }
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- 儿童建档

async function drawRegister(app: HTMLElement, v: View, units: UnitRow[]): Promise<void> {
  app.append(el("a", { class: "back", href: viewHref({ ou: v.ou, date: v.date }), "data-view": "1" }, "← 返回应种名单"));
  const unit = el("select", { id: "reg-unit", required: true }) as HTMLSelectElement;
  for (const u of units) unit.append(el("option", { value: u.id, selected: u.id === v.ou }, u.name));
  const village = el("select", { id: "reg-village" }) as HTMLSelectElement;
  const loadVillages = (): Promise<void> => fillVillages(village, unit.value, units);
  unit.addEventListener("change", () => void loadVillages());
  const name = el("input", { id: "reg-name", required: true, autocomplete: "off", maxlength: "30" }) as HTMLInputElement;
  const male = el("input", { id: "reg-sex-M", type: "radio", name: "sex", value: "M" }) as HTMLInputElement;
  const female = el("input", { id: "reg-sex-F", type: "radio", name: "sex", value: "F" }) as HTMLInputElement;
  const sex = el("fieldset", { class: "field sex" }, el("legend", {}, "性别"),
    el("label", { class: "radio" }, male, " 男"), el("label", { class: "radio" }, female, " 女"),
    el("p", { class: "field-error", id: "reg-sex-M-error", hidden: true }));
  male.setAttribute("aria-describedby", "reg-sex-M-error");
  const birth = el("input", { id: "reg-birth", type: "date", max: today() }) as HTMLInputElement;
  const id = el("input", { id: "reg-id", autocomplete: "off", maxlength: "20", inputmode: "text" }) as HTMLInputElement;
  const cert = el("input", { id: "reg-cert", autocomplete: "off", maxlength: "10" }) as HTMLInputElement;
  const address = el("input", { id: "reg-address", autocomplete: "off" }) as HTMLInputElement;
  const gName = el("input", { id: "reg-g-name", required: true, autocomplete: "off" }) as HTMLInputElement;
  const gRel = el("select", { id: "reg-g-relation" }) as HTMLSelectElement;
  for (const r of ["母亲", "父亲", "祖父母", "外祖父母", "其他"]) gRel.append(el("option", { value: r }, r));
  const gPhone = el("input", { id: "reg-g-phone", type: "tel", required: true, autocomplete: "off", inputmode: "tel" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: "reg-status" });
  const form = el("form", { id: "child-form", novalidate: true, "aria-labelledby": "reg-title" },
    el("h2", { id: "reg-title", tabindex: "-1" }, "儿童建档"),
    field("接种单位", unit), field("儿童姓名", name),
    field("身份证号", id, "有身份证号时填写，出生日期和性别将按号码填入"),
    field("出生医学证明编号", cert, "无身份证号的新生儿填写：1 个大写字母加 9 位数字"),
    sex, field("出生日期", birth), field("居住村", village), field("住址", address),
    el("fieldset", { class: "guardian-set" }, el("legend", {}, "监护人"),
      field("姓名", gName), field("关系", gRel), field("电话", gPhone)),
    el("button", { type: "submit" }, "建档"), status) as HTMLFormElement;
  app.append(form);
  await loadVillages();

  // The ID number is checked as it is typed out, and fills the birth date and sex.
  id.addEventListener("change", () => {
    clearErrors(form);
    if (!id.value.trim()) return;
    const c = checkResidentId(id.value, today());
    if (c.error) return showError(form, status, "reg-id", c.error);
    status.textContent = "";
    id.value = c.number!;
    birth.value = c.birthDate!;
    (c.sex === "M" ? male : female).checked = true;
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) return showError(form, status, "reg-name", "请填写儿童姓名");
    let number = "";
    if (id.value.trim()) {
      const c = checkResidentId(id.value, today());
      if (c.error) return showError(form, status, "reg-id", c.error);
      number = c.number!;
    }
    if (cert.value.trim()) {
      const e = checkBirthCertificate(cert.value);
      if (e) return showError(form, status, "reg-cert", e);
    }
    if (!number && !birth.value) return showError(form, status, "reg-birth", "请填写出生日期（或身份证号）");
    const sexValue = male.checked ? "M" : female.checked ? "F" : "";
    if (!number && !sexValue) return showError(form, status, "reg-sex-M", "请选择性别");
    if (!gName.value.trim()) return showError(form, status, "reg-g-name", "请填写监护人姓名");
    if (!/^[\d\s-]{7,20}$/.test(gPhone.value.trim())) return showError(form, status, "reg-g-phone", "电话应为 7–20 位数字");
    const body: Json = {
      orgUnit: unit.value, name: name.value.trim(), sex: sexValue, birthDate: birth.value, idNumber: number,
      birthCertificate: cert.value.trim().toUpperCase(), village: village.value, address: address.value.trim(),
      guardians: [{ name: gName.value.trim(), relation: gRel.value, phone: gPhone.value.trim() }],
    };
    status.className = "";
    status.textContent = "正在建档……";
    try {
      const out = await call("/api/immunization/children", { method: "POST", body: JSON.stringify(body) });
      const dup = (out.possibleDuplicates ?? []).length;
      sessionStorage.setItem("wj-imm-note", dup ? `已建档。注意：有 ${dup} 份姓名、出生日期和监护人电话相同的档案，请核对是否重复。` : "已建档。");
      navigate(app, viewHref({ ou: unit.value, date: v.date, child: out.trackedEntity }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) showError(form, status, fieldControl("child", e.body?.field), refusalText(e));
      else { status.className = "error"; status.textContent = "建档失败：" + message(e); }
    }
  });
}

// The villages a 接种单位 serves (the township's villages, for a 卫生院), as the options of `select`
// after a "（不填）" one; those seen on the unit's lists are offered even when the tree is not
// readable.
async function fillVillages(select: HTMLSelectElement, unitId: string, units: UnitRow[]): Promise<void> {
  select.replaceChildren(el("option", { value: "" }, "（不填）"));
  const u = units.find((x) => x.id === unitId);
  const area = u?.facilityType ? u.parent?.id : u?.id;
  const found = new Map<string, string>(JSON.parse(sessionStorage.getItem("wj-imm-villages-" + unitId) ?? "[]"));
  if (area) {
    try {
      const r = await call("/api/organisationUnits?" + new URLSearchParams({ parent: area, paging: "false", fields: "id,name,facilityType" }).toString());
      for (const x of r.organisationUnits ?? []) if (!x.facilityType) found.set(x.id, x.name);
    } catch { /* only the villages seen on the unit's lists */ }
  }
  for (const [id, name] of [...found].sort((a, b) => a[1].localeCompare(b[1], "zh-CN"))) select.append(el("option", { value: id }, name));
}

// The note a registration leaves for the card it opens.
function takeNote(): string | null {
  const n = sessionStorage.getItem("wj-imm-note");
  if (n) sessionStorage.removeItem("wj-imm-note");
  return n;
}

// ---------------------------------------------------------------- holds and AEFI on the card

function vaccineSelect(id: string, withAll: boolean): HTMLSelectElement {
  const s = el("select", { id }) as HTMLSelectElement;
  s.append(el("option", { value: "" }, "请选择疫苗"));
  if (withAll) s.append(el("option", { value: "*" }, "全部疫苗"));
  for (const x of VACCINES) s.append(el("option", { value: x.code }, x.name));
  return s;
}

// The card's 禁忌/暂缓: each hold with its span and reason, 解除 for those still standing, and the
// form that records one.
function holdsSection(child: Child, refresh: () => void): HTMLElement {
  const section = el("section", { class: "holds", "aria-labelledby": "hold-title" }, el("h2", { id: "hold-title" }, "禁忌与暂缓"));
  const holds = child.holds ?? [];
  if (!holds.length) section.append(el("p", { class: "muted" }, "没有禁忌或暂缓记录"));
  const list = el("ul", { class: "stock-list", id: "hold-list" });
  for (const h of holds) {
    const ended = !!h.lifted || (h.until && h.until < today());
    const li = el("li", { class: "hold-row", "data-hold": h.hold, "data-state": h.lifted ? "LIFTED" : ended ? "ENDED" : "ACTIVE" },
      el("strong", {}, `${h.kindName} ${h.vaccineName}`), ` 自 ${h.from}${h.until ? " 至 " + h.until : "起"}：${h.reason}`,
      h.lifted ? el("span", { class: "muted lifted" }, ` · 已于 ${h.lifted.date} 解除（${h.lifted.reason}）`) : null);
    if (!ended && child.status === "ACTIVE") li.append(liftForm(child, h, refresh));
    list.append(li);
  }
  if (holds.length) section.append(list);
  if (child.status !== "ACTIVE") return section;

  const vaccine = vaccineSelect("hold-vaccine", true);
  const kind = el("select", { id: "hold-kind" }) as HTMLSelectElement;
  for (const [k, t] of [["DEFERRAL", "暂缓"], ["CONTRAINDICATION", "禁忌"]]) kind.append(el("option", { value: k }, t));
  const from = el("input", { id: "hold-from", type: "date", value: today(), max: today() }) as HTMLInputElement;
  const until = el("input", { id: "hold-until", type: "date" }) as HTMLInputElement;
  const reason = el("input", { id: "hold-reason", autocomplete: "off" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: "hold-status" });
  const form = el("form", { id: "hold-form", novalidate: true, "aria-labelledby": "hold-form-title" },
    el("h3", { id: "hold-form-title" }, "登记禁忌或暂缓"),
    field("疫苗", vaccine), field("类型", kind), field("开始日期", from), field("暂缓至", until, "暂缓必填，最长 12 个月；禁忌不填"),
    field("原因", reason, "如 发热 38.5℃、对某成分过敏"), el("button", { type: "submit" }, "登记"), status) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!vaccine.value) return showError(form, status, "hold-vaccine", "请选择疫苗（全部疫苗选 全部疫苗）");
    const body: Json = { vaccine: vaccine.value, kind: kind.value, from: from.value, reason: reason.value.trim() };
    if (until.value) body.until = until.value;
    await send(form, status, "hold", "/api/immunization/children/" + encodeURIComponent(child.trackedEntity) + "/holds", body,
      (out) => `已登记${out.kindName}：${out.vaccineName}`, refresh);
  });
  section.append(form);
  return section;
}

function liftForm(child: Child, h: Json, refresh: () => void): HTMLElement {
  const id = "lift-" + h.hold;
  const date = el("input", { id: id + "-date", type: "date", value: today(), max: today() }) as HTMLInputElement;
  const reason = el("input", { id: id + "-reason", autocomplete: "off" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: id + "-status" });
  const form = el("form", { class: "lift-form", novalidate: true, "aria-label": `解除${h.kindName}${h.vaccineName}` },
    field("解除日期", date), field("解除原因", reason, "如 已退热、经评估可以接种"),
    el("button", { type: "submit", class: "secondary" }, `解除${h.kindName}`), status) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!reason.value.trim()) return showError(form, status, id + "-reason", "请填写解除的原因");
    await send(form, status, id, `/api/immunization/children/${encodeURIComponent(child.trackedEntity)}/holds/${encodeURIComponent(h.hold)}/lift`,
      { date: date.value, reason: reason.value.trim() }, (out) => `已解除${out.kindName}：${out.vaccineName}，自 ${out.lifted.date} 起可以接种`, refresh);
  });
  return el("details", { class: "lift" }, el("summary", {}, `解除此${h.kindName}`), form);
}

// The card's AEFI reports and the form that reports one about a recorded dose.
function aefiSection(child: Child, refresh: () => void): HTMLElement {
  const section = el("section", { class: "aefi", "aria-labelledby": "aefi-card-title" }, el("h2", { id: "aefi-card-title" }, "疑似预防接种异常反应"));
  const doses = [...(child.doses ?? [])].sort((a, b) => (a.date < b.date ? 1 : -1));
  const reports = child.aefi ?? [];
  if (reports.length)
    section.append(el("ul", { class: "stock-list", id: "aefi-card-list" }, ...reports.map((a) => {
      const d = doses.find((x) => x.dose === a.dose);
      return el("li", { class: "aefi-row" }, el("strong", {}, `${a.onsetDate} 发生`), ` ${d ? d.vaccineName + "（" + d.date + " 接种）" : ""}：${a.symptoms}`,
        el("span", { class: "muted" }, ` · ${a.serious ? "严重" : "非严重"} · ${a.outcomeName}`));
    })));
  else section.append(el("p", { class: "muted" }, "没有异常反应报告"));
  if (!doses.length) return section;
  const dose = el("select", { id: "aefi-dose" }) as HTMLSelectElement;
  dose.append(el("option", { value: "" }, "请选择接种记录"));
  for (const d of doses) dose.append(el("option", { value: d.dose }, `${d.date} ${d.vaccineName}`));
  const onset = el("input", { id: "aefi-onsetDate", type: "date", max: today() }) as HTMLInputElement;
  const reported = el("input", { id: "aefi-reportDate", type: "date", value: today(), max: today() }) as HTMLInputElement;
  const symptoms = el("input", { id: "aefi-symptoms", autocomplete: "off" }) as HTMLInputElement;
  const diagnosis = el("input", { id: "aefi-diagnosis", autocomplete: "off" }) as HTMLInputElement;
  const serious = el("select", { id: "aefi-serious" }) as HTMLSelectElement;
  for (const [k, t] of [["false", "否"], ["true", "是（住院、致残或死亡）"]]) serious.append(el("option", { value: k }, t));
  const outcome = el("select", { id: "aefi-outcome" }) as HTMLSelectElement;
  for (const t of ["不详", "痊愈", "好转", "未愈", "有后遗症", "死亡"]) outcome.append(el("option", { value: t }, t));
  const status = el("p", { role: "status", id: "aefi-card-status" });
  const form = el("form", { id: "aefi-form", novalidate: true, "aria-labelledby": "aefi-form-title" },
    el("h3", { id: "aefi-form-title" }, "报告异常反应"),
    field("接种记录", dose), field("发生日期", onset), field("报告日期", reported), field("主要临床表现", symptoms),
    field("临床诊断", diagnosis), field("是否严重", serious), field("转归", outcome),
    el("button", { type: "submit" }, "报告"), status) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!dose.value) return showError(form, status, "aefi-dose", "请选择发生反应的接种记录");
    if (!onset.value) return showError(form, status, "aefi-onsetDate", "请填写反应发生日期");
    await send(form, status, "aefi", "/api/immunization/children/" + encodeURIComponent(child.trackedEntity) + "/aefi",
      { dose: dose.value, onsetDate: onset.value, reportDate: reported.value, symptoms: symptoms.value.trim(), diagnosis: diagnosis.value.trim(),
        serious: serious.value === "true", outcome: outcome.value },
      () => "已报告疑似预防接种异常反应", refresh);
  });
  section.append(form);
  return section;
}

// The card's 迁入/迁出: the record's moves, and the form that moves it — to another 接种单位 or
// village the user manages (the record and its doses go with the child), out of the system
// (外省、外市: the record is closed and the child leaves every list), or, for a child who had
// left, back in at one of the user's units (迁入).
function transferSection(child: Child, units: UnitRow[], refresh: () => void): HTMLElement {
  const section = el("section", { class: "transfers", "aria-labelledby": "move-title" }, el("h2", { id: "move-title" }, "迁入迁出"));
  const moves = child.transfers ?? [];
  if (moves.length)
    section.append(el("ol", { class: "stock-list", id: "move-list" }, ...moves.map((t) => {
      const to = t.direction === "OUT" ? t.destination : t.to?.name ?? "";
      return el("li", { class: "move-row", "data-direction": t.direction },
        el("strong", {}, `${t.date} ${t.directionName}`), ` ${t.from?.name ?? ""} → ${to}`,
        el("span", { class: "muted" }, `${t.reason ? " · " + t.reason : ""} · 经办 ${t.by}`));
    })));
  else section.append(el("p", { class: "muted" }, "没有迁移记录"));

  const away = child.status !== "ACTIVE";
  const kind = el("select", { id: "move-kind" }) as HTMLSelectElement;
  const kinds = away ? [["IN", "迁入本单位"]] : [["MOVE", "迁往其他接种单位或村"], ["OUT", "迁往系统外（外省、外市等）"]];
  for (const [k, t] of kinds) kind.append(el("option", { value: k }, t));
  const unit = el("select", { id: "move-orgUnit" }) as HTMLSelectElement;
  for (const u of units) unit.append(el("option", { value: u.id, selected: u.id === child.orgUnit.id }, u.name));
  const village = el("select", { id: "move-village" }) as HTMLSelectElement;
  const destination = el("input", { id: "move-destination", autocomplete: "off", maxlength: "200" }) as HTMLInputElement;
  const date = el("input", { id: "move-date", type: "date", value: today(), max: today(), min: child.birthDate }) as HTMLInputElement;
  const reason = el("input", { id: "move-reason", autocomplete: "off", maxlength: "400" }) as HTMLInputElement;
  const status = el("p", { role: "status", id: "move-status" });
  const unitField = field("接收的接种单位", unit), villageField = field("居住村", village);
  const destinationField = field("迁往地", destination, "如 陕西省榆林市靖边县");
  const show = (): void => {
    const out = kind.value === "OUT";
    unitField.hidden = villageField.hidden = out;
    destinationField.hidden = !out;
  };
  kind.addEventListener("change", show);
  unit.addEventListener("change", () => void fillVillages(village, unit.value, units));
  void fillVillages(village, unit.value, units).then(() => { village.value = child.village?.id ?? ""; });
  show();
  const form = el("form", { id: "move-form", novalidate: true, "aria-labelledby": "move-form-title" },
    el("h3", { id: "move-form-title" }, away ? "办理迁入" : "办理迁出"),
    field("迁移类型", kind), unitField, villageField, destinationField, field("迁移日期", date), field("原因", reason, "如 随父母务工迁居"),
    el("button", { type: "submit" }, away ? "迁入" : "迁出"), status) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const out = kind.value === "OUT";
    if (out && !destination.value.trim()) return showError(form, status, "move-destination", "请填写迁往地（省、市、县）");
    if (!out && !unit.value) return showError(form, status, "move-orgUnit", "请选择接收的接种单位");
    if (!out && !away && unit.value === child.orgUnit.id && village.value === (child.village?.id ?? ""))
      return showError(form, status, "move-village", "接收单位和居住村与现在的相同，请选择新的单位或村");
    if (!date.value) return showError(form, status, "move-date", "请填写迁移日期");
    const body: Json = { date: date.value, reason: reason.value.trim() };
    if (out) body.destination = destination.value.trim();
    else { body.orgUnit = unit.value; body.village = village.value; }
    await send(form, status, "move", "/api/immunization/children/" + encodeURIComponent(child.trackedEntity) + "/transfers", body,
      (r) => r.direction === "OUT" ? `已办理迁出：迁往 ${body.destination}，档案已关闭，不再列入应种名单`
        : `已${r.direction === "IN" ? "迁入" : "迁至"} ${r.orgUnit?.name ?? ""}${r.village?.name ? " " + r.village.name : ""}`, refresh);
  });
  section.append(form);
  return section;
}

// Posts a card form; a refusal is shown beside the control "<prefix>-<field>", a success is the
// note the redrawn card shows at its top.
async function send(form: HTMLFormElement, status: HTMLElement, prefix: string, path: string, body: Json,
  done: (out: Json) => string, refresh: () => void): Promise<void> {
  status.className = "";
  status.textContent = "正在保存……";
  try {
    const out = await call(path, { method: "POST", body: JSON.stringify(body) });
    sessionStorage.setItem("wj-imm-note", done(out));
    refresh();
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) {
      const f = e.body?.field;
      showError(form, status, f && form.querySelector("#" + CSS.escape(`${prefix}-${f}`)) ? `${prefix}-${f}` : null, refusalText(e));
    } else { status.className = "error"; status.textContent = "保存失败：" + message(e); }
  }
}
