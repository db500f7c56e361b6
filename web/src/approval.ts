// 上报审核 (issue 11): the grid of one data set's units × periods with every form's state, bulk
// approve / return with a reason, 提醒未报单位; and, for every page, the message count in the
// header and the clerk's 本月待填. Typed responses from /api/approvalGrid, /api/dataEntry/due,
// /api/messageConversations and /api/dataApprovals/*.

import { call, el } from "./dom";

interface Ref { id: string; code?: string; name: string }
interface GridCell { state: string; completed?: string; overdue?: boolean; approvedBy?: string; reason?: string }
interface GridRow { orgUnit: Ref; parent?: Ref; approvalOrgUnit?: Ref; cells: GridCell[] }
interface Grid {
  dataSet: Ref & { periodType: string; timelyDays: number };
  orgUnit: Ref;
  workflow?: Ref & { periodType: string };
  periods: { id: string; deadline: string }[];
  rows: GridRow[];
  counts: Record<string, number>;
}
interface DueForm { dataSet: Ref; orgUnit: Ref; period: string; deadline: string; state: string; overdue?: boolean; returned?: { reason: string; by: string; at: string } }
interface Messages { unread: number; messageConversations: { id: string; subject: string; read: boolean; lastMessage: string; messages: { text: string }[] }[] }

const stateClass: Record<string, string> = { "未报": "st-missing", "迟报": "st-late", "已报待审": "st-submitted", "已审核": "st-approved", "已退回": "st-returned" };

// The header's message count and list.
export async function mountInbox(): Promise<void> {
  const who = document.querySelector(".bar .who");
  if (!who) return;
  let m: Messages;
  try {
    m = await call<Messages>("/api/messageConversations");
  } catch {
    return;
  }
  const button = el("button", { type: "button", id: "inbox", "aria-expanded": "false" }, `消息 ${m.unread}`);
  const list = el("ul", { class: "inbox", hidden: "" });
  for (const c of m.messageConversations.slice(0, 20))
    list.append(el("li", { class: c.read ? "" : "unread" }, el("strong", {}, c.subject), " ", c.messages[0]?.text ?? ""));
  button.addEventListener("click", async () => {
    const open = list.hasAttribute("hidden");
    list.toggleAttribute("hidden", !open);
    button.setAttribute("aria-expanded", String(open));
    const unread = m.messageConversations.filter((c) => !c.read).map((c) => c.id);
    if (open && unread.length) await call("/api/messageConversations/read", { method: "POST", body: JSON.stringify(unread) }).catch(() => undefined);
  });
  who.prepend(button, list);
}

// 本月待填 on the clerk's home page.
export async function mountDue(app: HTMLElement): Promise<void> {
  const due = await call<{ today: string; forms: DueForm[] }>("/api/dataEntry/due");
  if (!due.forms.length) return;
  const table = el("table", { id: "due" }, el("thead", {}, el("tr", {}, ...["报表", "单位", "期间", "截止日期", "状态", "说明"].map((t) => el("th", { scope: "col" }, t)))));
  const body = el("tbody");
  for (const f of due.forms) {
    const link = el("a", { href: `/admin/entry?dataSet=${encodeURIComponent(f.dataSet.id)}&orgUnit=${encodeURIComponent(f.orgUnit.id)}&period=${encodeURIComponent(f.period)}` }, f.dataSet.name);
    body.append(el("tr", { class: stateClass[f.state] ?? "" }, el("td", {}, link), el("td", {}, f.orgUnit.name), el("td", {}, f.period),
      el("td", {}, f.deadline + (f.overdue ? "（已逾期）" : "")), el("td", {}, f.state),
      el("td", { class: "reason" }, f.returned ? `退回原因：${f.returned.reason}（${f.returned.by}）` : "")));
  }
  table.append(body);
  app.prepend(el("section", { class: "due", "aria-labelledby": "due-title" }, el("h2", { id: "due-title" }, "本月待填"), table));
}

// The 上报审核 page.
export async function approvalPage(app: HTMLElement): Promise<void> {
  const sets = await call<{ dataSets: Ref[] }>("/api/dataSets");
  const me = await call<{ organisationUnits?: Ref[]; dataViewOrganisationUnits?: Ref[] }>("/api/me");
  const root = (me.dataViewOrganisationUnits?.length ? me.dataViewOrganisationUnits : me.organisationUnits ?? [])[0];
  const dsSel = el("select", { id: "grid-ds" }) as HTMLSelectElement;
  for (const d of sets.dataSets) dsSel.append(el("option", { value: d.code ?? d.id }, d.name));
  const pe = el("input", { id: "grid-pe", value: String(new Date().getFullYear()) }) as HTMLInputElement;
  const show = el("button", { type: "button", id: "grid-show" }, "查看");
  const out = el("div", { id: "grid" });
  // The result of the last action, outside the grid: reloading the grid after an action must not
  // take its message away.
  const status = el("p", { role: "status", id: "act-status" });
  app.append(el("div", { class: "controls" }, el("div", {}, el("label", { for: "grid-ds" }, "报表"), dsSel),
    el("div", {}, el("label", { for: "grid-pe" }, "年度或期间"), pe), show), out, status);
  const load = async (): Promise<void> => {
    out.replaceChildren();
    let g: Grid;
    try {
      g = await call<Grid>(`/api/approvalGrid?ds=${encodeURIComponent(dsSel.value)}&ou=${encodeURIComponent(root?.id ?? "")}&pe=${encodeURIComponent(pe.value)}`);
    } catch (e) {
      out.append(el("p", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e)));
      return;
    }
    out.append(el("p", { id: "grid-counts" }, Object.entries(g.counts).map(([k, v]) => `${k} ${v}`).join("　")));
    const head = el("tr", {}, el("th", { scope: "col" }, "选择"), el("th", { scope: "col" }, "单位"), ...g.periods.map((p) => el("th", { scope: "col", title: `截止 ${p.deadline}` }, p.id)));
    const body = el("tbody");
    const boxes: [HTMLInputElement, GridRow][] = [];
    for (const row of g.rows) {
      const box = el("input", { type: "checkbox", "aria-label": `选择 ${row.orgUnit.name}` }) as HTMLInputElement;
      boxes.push([box, row]);
      const tr = el("tr", {}, el("td", {}, box), el("th", { scope: "row" }, row.parent ? `${row.parent.name} ${row.orgUnit.name}` : row.orgUnit.name));
      row.cells.forEach((c, i) => {
        const a = el("a", { href: `/admin/entry?dataSet=${encodeURIComponent(g.dataSet.id)}&orgUnit=${encodeURIComponent(row.orgUnit.id)}&period=${g.periods[i].id}`, title: c.reason ? `退回原因：${c.reason}` : c.state }, c.state);
        tr.append(el("td", { class: stateClass[c.state] ?? "" }, a));
      });
      body.append(tr);
    }
    out.append(el("table", { class: "grid" }, el("thead", {}, head), body));
    if (!g.workflow) return;
    const period = el("select", { id: "act-pe" }) as HTMLSelectElement;
    for (const p of g.periods) period.append(el("option", { value: p.id }, p.id));
    const reason = el("input", { id: "act-reason", placeholder: "退回原因" }) as HTMLInputElement;
    const act = (path: string) => async (): Promise<void> => {
      const ous = [...new Set(boxes.filter(([b]) => b.checked).map(([, r]) => r.approvalOrgUnit?.id).filter((x): x is string => !!x))];
      if (!ous.length) { status.textContent = "请先选择单位"; return; }
      status.textContent = "正在处理……";
      try {
        const body = path === "returns"
          ? { wf: g.workflow!.id, pe: period.value, ou: ous, reason: reason.value }
          : { wf: [g.workflow!.id], pe: [period.value], approvals: ous.map((ou) => ({ ou })) };
        await call(`/api/dataApprovals/${path}`, { method: "POST", body: JSON.stringify(body) });
      } catch (e) {
        status.textContent = "操作失败：" + (e instanceof Error ? e.message : String(e));
        return;
      }
      await load();  // the grid with the new states, then the result under it
      status.textContent = "已完成";
    };
    const approve = el("button", { type: "button", id: "act-approve" }, "审核通过");
    approve.addEventListener("click", act("approvals"));
    const ret = el("button", { type: "button", id: "act-return" }, "退回");
    ret.addEventListener("click", act("returns"));
    const remind = el("button", { type: "button", id: "act-remind" }, "提醒未报单位");
    remind.addEventListener("click", async () => {
      try {
        const r = await call<{ missingUnits: number; messages: number }>("/api/approvalGrid/remind", { method: "POST", body: JSON.stringify({ ds: g.dataSet.id, ou: g.orgUnit.id, pe: period.value }) });
        status.textContent = `已提醒 ${r.missingUnits} 个未报单位（${r.messages} 条消息）`;
      } catch (e) {
        status.textContent = "操作失败：" + (e instanceof Error ? e.message : String(e));
      }
    });
    out.append(el("div", { class: "controls" }, el("div", {}, el("label", { for: "act-pe" }, "期间"), period),
      el("div", {}, el("label", { for: "act-reason" }, "退回原因"), reason), approve, ret, remind));
  };
  show.addEventListener("click", () => { status.textContent = ""; void load(); });
  await load();
}
