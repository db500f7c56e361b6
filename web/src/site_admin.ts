// The web office's pages of the workbench (issue 15): 栏目管理 (the column tree: name, code,
// parent, order, kind, owning unit; an editor changes only the columns his unit owns — the
// server decides and says so per column), 留言办理 (citizens' messages: route, reply, publish
// with consent, reject; overdue and warning flags on top) and the footer's link groups in
// 网站设置. Every text from the server is set as text, never as HTML.

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

import { call, el } from "./dom";

function field(id: string, label: string, input: HTMLElement): HTMLElement {
  input.id = id;
  return el("div", {}, el("label", { for: id }, label), input);
}

async function unitOptions(): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const level of [1, 2, 3]) {
    const r = await call(`/api/organisationUnits?paging=false&level=${level}`);
    for (const u of r.organisationUnits) out.push([u.code, `${"　".repeat(level - 1)}${u.name}（${u.code}）`]);
  }
  return out;
}

// ---------------------------------------------------------------- 栏目管理

export async function columnsPage(app: HTMLElement): Promise<void> {
  const units = await unitOptions();
  const list = el("div");
  const form = el("div");
  const status = el("p", { role: "status" });
  app.append(el("p", {}, "栏目树决定门户网站的导航菜单、网站地图和文章可以发布到哪里。您只能修改本单位主管的栏目。"),
    el("p", {}, el("button", { type: "button", id: "new-column" }, "新建栏目")), status, form, list);
  let data: Json = null;

  const refresh = async (): Promise<void> => {
    data = await call("/api/portal/columns");
    const t = el("table", {}, el("caption", {}, "栏目树"),
      el("thead", {}, el("tr", {}, ...["栏目名称", "代码", "类型", "排序", "主管单位", "菜单", ""].map((x) => el("th", { scope: "col" }, x)))));
    const tb = el("tbody");
    for (const c of data.columns) {
      const edit = c.editable ? el("button", { type: "button", class: "secondary", "data-code": c.code }, "编辑") : el("span", { class: "muted" }, "无权修改");
      if (c.editable) edit.addEventListener("click", () => open(c));
      tb.append(el("tr", {},
        el("th", { scope: "row" }, el("span", { class: `indent-${c.level}` }, c.name)),
        el("td", {}, c.code), el("td", {}, c.kindLabel), el("td", { class: "num" }, String(c.position)),
        el("td", {}, c.unitName ?? (c.unit || "本站")), el("td", {}, c.inMenu ? "显示" : "不显示"),
        el("td", {}, edit)));
    }
    t.append(tb);
    list.replaceChildren(t);
  };

  const open = (c: Json | null): void => {
    const isNew = c === null;
    const code = el("input", { value: c?.code ?? "", size: "20", required: true }) as HTMLInputElement;
    const name = el("input", { value: c?.name ?? "", size: "20", required: true }) as HTMLInputElement;
    const parent = el("select") as HTMLSelectElement;
    parent.append(el("option", { value: "" }, "（一级栏目）"));
    for (const p of data.columns)
      if (p.kind !== "external_link" && p.level < 3 && p.code !== c?.code)
        parent.append(el("option", { value: p.code }, `${"　".repeat(p.level - 1)}${p.name}`));
    parent.value = c?.parent ?? "";
    const position = el("input", { type: "number", min: "0", max: "100000", value: String(c?.position ?? "") }) as HTMLInputElement;
    const kind = el("select") as HTMLSelectElement;
    for (const k of data.kinds) kind.append(el("option", { value: k.kind }, k.label));
    kind.value = c?.kind ?? "article_list";
    const url = el("input", { value: c?.url ?? "", size: "40", placeholder: "https://…（仅外部链接）" }) as HTMLInputElement;
    const description = el("input", { value: c?.description ?? "", size: "40" }) as HTMLInputElement;
    const unit = el("select") as HTMLSelectElement;
    unit.append(el("option", { value: "" }, "本站（系统管理员）"));
    for (const [v, t] of units) unit.append(el("option", { value: v }, t));
    unit.value = c?.unit ?? "";
    const inMenu = el("input", { type: "checkbox" }) as HTMLInputElement;
    inMenu.checked = c?.inMenu ?? true;
    const save = el("button", { type: "submit" }, "保存栏目");
    const del = isNew ? null : el("button", { type: "button", class: "secondary" }, "删除栏目");
    const cancel = el("button", { type: "button", class: "secondary" }, "取消");
    const f = el("form", { class: "column-form", "aria-label": isNew ? "新建栏目" : `编辑栏目：${c.name}` },
      el("h2", {}, isNew ? "新建栏目" : `编辑栏目：${c.name}`),
      field("col-name", "栏目名称", name), field("col-code", "代码（网址中使用，小写字母和数字）", code),
      field("col-parent", "上级栏目", parent), field("col-position", "排序号（小的在前）", position),
      field("col-kind", "栏目类型", kind), field("col-url", "外部链接网址", url),
      field("col-description", "栏目说明", description), field("col-unit", "主管单位", unit),
      el("div", {}, el("label", { class: "inline" }, inMenu, " 显示在导航菜单中")),
      el("div", { class: "controls" }, save, del, cancel)) as HTMLFormElement;
    inMenu.id = "col-menu";
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body: Json = { code: code.value.trim(), name: name.value.trim(), parent: parent.value, kind: kind.value,
        url: url.value.trim(), description: description.value.trim(), unit: unit.value, inMenu: inMenu.checked };
      if (position.value !== "") body.position = Number(position.value);
      try {
        await call(isNew ? "/api/portal/columns" : `/api/portal/columns/${encodeURIComponent(c.code)}`,
          { method: isNew ? "POST" : "PUT", body: JSON.stringify(body) });
        status.className = "ok";
        status.textContent = `栏目“${body.name}”已保存，门户网站已更新。`;
        form.replaceChildren();
        await refresh();
      } catch (e) {
        status.className = "error";
        status.textContent = "未保存：" + (e instanceof Error ? e.message : String(e));
      }
    });
    del?.addEventListener("click", async () => {
      if (!confirm(`确定删除栏目“${c.name}”吗？`)) return;
      try {
        await call(`/api/portal/columns/${encodeURIComponent(c.code)}`, { method: "DELETE" });
        status.className = "ok";
        status.textContent = `栏目“${c.name}”已删除。`;
        form.replaceChildren();
        await refresh();
      } catch (e) {
        status.className = "error";
        status.textContent = "未删除：" + (e instanceof Error ? e.message : String(e));
      }
    });
    cancel.addEventListener("click", () => form.replaceChildren());
    form.replaceChildren(f);
    name.focus();
  };
  document.getElementById("new-column")!.addEventListener("click", () => open(null));
  await refresh();
}

// ---------------------------------------------------------------- 留言办理

const flagText: Record<string, string> = { overdue: "超期未答复", warning: "即将超期" };

export async function messagesPage(app: HTMLElement): Promise<void> {
  const units = await unitOptions();
  const summary = el("div", { role: "status" });
  const list = el("div");
  app.append(summary, list);
  const refresh = async (): Promise<void> => {
    const r = await call("/api/citizenMessages");
    summary.replaceChildren(el("p", { class: r.counts.overdue ? "error" : "" },
      `待办 ${r.counts.open} 条；超过 ${r.limitDays} 天未答复 ${r.counts.overdue} 条，超过 ${r.warnDays} 天未答复 ${r.counts.warning} 条。`));
    list.replaceChildren();
    if (r.messages.length === 0) list.append(el("p", {}, "没有需要您办理的留言。"));
    for (const m of r.messages) list.append(card(m, r.dispatcher));
  };
  const card = (m: Json, dispatcher: boolean): HTMLElement => {
    const status = el("p", { role: "status" });
    const act = async (what: string, body: Json): Promise<void> => {
      try {
        await call(`/api/citizenMessages/${m.id}/${what}`, { method: "POST", body: JSON.stringify(body) });
        await refresh();
      } catch (e) {
        status.className = "error";
        status.textContent = "未完成：" + (e instanceof Error ? e.message : String(e));
      }
    };
    const id = `msg-${m.id}`;
    const box = el("section", { class: `msg-card ${m.flag}`, "aria-labelledby": `${id}-h` },
      el("h2", { id: `${id}-h` }, `【${m.category}】${m.subject}`),
      m.flag ? el("p", { class: `flag ${m.flag}` }, `${flagText[m.flag]}（已 ${m.days} 天）`) : null,
      el("p", { class: "meta" }, `${m.name}，电话 ${m.phone}；${new Date(m.created).toLocaleDateString("zh-CN")} 收到；查询码 ${m.queryCode}；`,
        `状态：${m.statusLabel}${m.unitName ? "（" + m.unitName + "）" : ""}；`, m.consent ? "同意公开" : "不同意公开", m.published ? "；已公开" : ""),
      el("p", { class: "msg-text" }, m.body));
    if (m.status === "received" || m.status === "routed") {
      const unit = el("select") as HTMLSelectElement;
      for (const [v, t] of units) unit.append(el("option", { value: v }, t));
      unit.value = m.unit || units[0]?.[0] || "";
      const route = el("button", { type: "button", class: "secondary" }, "转办");
      route.addEventListener("click", () => act("route", { unit: unit.value }));
      if (dispatcher || m.unit) box.append(el("div", { class: "controls" }, field(`${id}-unit`, "承办单位", unit), route));
    }
    if (m.status !== "rejected" && m.unit) {
      const reply = el("textarea", { rows: "4" }) as HTMLTextAreaElement;
      reply.value = m.reply;
      const send = el("button", { type: "button" }, m.status === "answered" ? "修改答复" : "答复");
      send.addEventListener("click", () => act("reply", { reply: reply.value }));
      box.append(field(`${id}-reply`, "答复内容", reply), el("div", { class: "controls" }, send));
    }
    if (m.status === "answered") {
      const pub = el("button", { type: "button", class: m.published ? "secondary" : "" }, m.published ? "撤下公开" : "审核通过并公开");
      pub.addEventListener("click", () => act("publish", { published: !m.published }));
      box.append(el("div", { class: "controls" }, pub));
    }
    if (m.status === "received" || m.status === "routed") {
      const note = el("input", { size: "30" }) as HTMLInputElement;
      const reject = el("button", { type: "button", class: "secondary" }, "不予受理");
      reject.addEventListener("click", () => act("reject", { note: note.value }));
      box.append(el("div", { class: "controls" }, field(`${id}-note`, "不予受理的原因", note), reject));
    }
    box.append(status);
    return box;
  };
  await refresh();
}

// ---------------------------------------------------------------- footer links (网站设置)

export function footerEditor(container: HTMLElement, raw: string): void {
  let groups: Json[] = [];
  try {
    groups = JSON.parse(raw || "[]");
  } catch {
    groups = [];
  }
  const text = el("textarea", { rows: "10", cols: "60", "aria-describedby": "footer-help" }) as HTMLTextAreaElement;
  // One group per block: its name on the first line, then "名称 网址" per line.
  text.value = groups.map((g) => [g.name, ...g.links.map((l: Json) => `${l.name} ${l.url}`)].join("\n")).join("\n\n");
  const status = el("p", { role: "status" });
  const save = el("button", { type: "button", id: "save-footer" }, "保存页脚链接");
  save.addEventListener("click", async () => {
    const parsed = text.value.split(/\n\s*\n/).map((block) => block.split("\n").map((l) => l.trim()).filter((l) => l))
      .filter((lines) => lines.length).map((lines) => ({
        name: lines[0],
        links: lines.slice(1).map((l) => {
          const at = l.lastIndexOf(" ");
          return at > 0 ? { name: l.slice(0, at).trim(), url: l.slice(at + 1) } : { name: l, url: "" };
        }),
      }));
    try {
      await call("/api/site/settings", { method: "PUT", body: JSON.stringify({ footer_links: parsed }) });
      status.className = "ok";
      status.textContent = "页脚链接已保存，门户网站每个页面的页脚已更新。";
    } catch (e) {
      status.className = "error";
      status.textContent = "未保存：" + (e instanceof Error ? e.message : String(e));
    }
  });
  container.append(el("h2", {}, "页脚链接"),
    el("p", { id: "footer-help" }, "每组之间空一行；每组第一行是组名（如“站群链接”），以下每行一个链接：名称、空格、网址（站内网址以 / 开头）。"),
    field("footer-links", "页脚链接组", text), save, status);
}

// ---------------------------------------------------------------- 网站体检

export async function healthPage(app: HTMLElement): Promise<void> {
  const r = await call("/api/portal/health");
  app.append(el("p", {}, `按全国政府网站检查的要求检查栏目更新和文章中的链接：共检查 ${r.articlesChecked} 篇已发布文章、${r.linksChecked} 个链接。外部网站的链接只列出，请人工打开核对。`));
  const table = (caption: string, head: string[], rows: (string | Node)[][]): HTMLElement => {
    const t = el("table", {}, el("caption", {}, caption), el("thead", {}, el("tr", {}, ...head.map((x) => el("th", { scope: "col" }, x)))));
    const tb = el("tbody");
    for (const row of rows) tb.append(el("tr", {}, ...row.map((c) => el("td", {}, c))));
    if (rows.length === 0) tb.append(el("tr", {}, el("td", { colspan: String(head.length) }, "没有问题。")));
    t.append(tb);
    return t;
  };
  const article = (f: Json): Node => el("a", { href: `/article/${f.article}` }, f.title);
  app.append(
    table(`栏目更新（${r.alarms.length} 项需要处理）`, ["栏目", "要求", "最近更新", "未更新天数"],
      r.alarms.map((a: Json) => [a.column ? el("a", { href: `/column/${a.column}` }, a.name) : el("a", { href: "/" }, a.name), a.rule,
        a.lastUpdate || "从未发布", a.idleDays < 0 ? "—" : String(a.idleDays)])),
    table(`失效的站内链接（${r.brokenLinks.length} 个）`, ["文章", "链接", "问题"],
      r.brokenLinks.map((f: Json) => [article(f), f.url, f.problem])),
    table(`外部链接（${r.externalLinks.length} 个，请人工核对）`, ["文章", "链接"],
      r.externalLinks.map((f: Json) => [article(f), f.url])));
}
