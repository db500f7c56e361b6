// 编辑模板: a report template edited as what it is — a title, the figures it reads, and sections
// of sentences (with figure slots such as {tc_done}), lists, figure items, tables of
// programmes and entries — instead of raw JSON, and saved as the same JSON
// (PUT /api/reportTemplates/{name}). The editor changes the loaded object in place, so fields
// it does not show (a later generator's options) are kept as they were; the JSON stays one
// click away under 高级. Slots a sentence names but the template does not define are listed
// before saving. State: the template being edited, owned by one editor instance.

import { el } from "./dom";

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Item { code: string; name: string }

export interface TemplateEditorOptions {
  container: HTMLElement;
  load(name: string): Promise<Json>;
  items: Item[]; // indicators and data elements, by code
}

// Slots every template has (report.cc fills them), with the words an editor knows them by.
const BUILT_IN: [string, string][] = [
  ["ou", "单位名称"], ["scope", "本辖区（全市/全旗…）"], ["peer_scope", "排名范围"], ["period", "期间（2024年1-7月）"],
  ["period_short", "期间（1-7月）"], ["year", "年度"], ["upto", "截止到某月某日"], ["issue", "期号"],
  ["issuer", "主办单位"], ["date", "日期"],
];
const FORMATS: [string, string][] = [
  ["count", "人数、次数（整数）"], ["approx", "约数（约3.3万）"], ["rate", "比率（%）"], ["number", "数值"],
  ["completion", "完成率（含超额）"], ["change_points", "同比增减（百分点）"], ["change_percent", "同比增减（%）"],
  ["rank", "排名（在全市N个旗区中居第几）"],
];
const BLOCK_TYPES: [string, string][] = [
  ["text", "段落（句子）"], ["item", "条目（标题、句子、来源）"], ["list", "列表"], ["table", "项目进展表"],
  ["entries", "动态条目（文章或事件）"],
];

let serial = 0;

// A labelled input bound to obj[key] (left out of the object when emptied, unless `keep`).
function textField(label: string, obj: Json, key: string, opts: { wide?: boolean; area?: boolean; keep?: boolean; cls?: string } = {}): [HTMLElement, HTMLInputElement | HTMLTextAreaElement] {
  const id = `tpl-${++serial}`;
  const input = (opts.area ? el("textarea", { id, rows: "3", class: opts.cls ?? "" }) : el("input", { id, size: opts.wide ? "60" : "16", class: opts.cls ?? "" })) as HTMLInputElement | HTMLTextAreaElement;
  input.value = typeof obj[key] === "string" ? obj[key] : "";
  input.addEventListener("input", () => {
    if (input.value === "" && !opts.keep) delete obj[key];
    else obj[key] = input.value;
  });
  return [el("div", { class: "tpl-field" }, el("label", { for: id }, label), input), input];
}

function selectField(label: string, obj: Json, key: string, choices: [string, string][], fallback: string): HTMLElement {
  const id = `tpl-${++serial}`;
  const sel = el("select", { id }) as HTMLSelectElement;
  const current = typeof obj[key] === "string" ? obj[key] : fallback;
  const all = choices.some(([v]) => v === current) ? choices : [...choices, [current, current] as [string, string]];
  for (const [v, t] of all) sel.append(el("option", { value: v }, t));
  sel.value = current;
  sel.addEventListener("change", () => {
    if (sel.value === fallback && !(key in obj)) return;
    obj[key] = sel.value;
  });
  return el("div", { class: "tpl-field" }, el("label", { for: id }, label), sel);
}

function checkField(label: string, obj: Json, key: string): HTMLElement {
  const id = `tpl-${++serial}`;
  const box = el("input", { id, type: "checkbox" }) as HTMLInputElement;
  box.checked = obj[key] === true;
  box.addEventListener("change", () => {
    if (box.checked) obj[key] = true;
    else if (key in obj) obj[key] = false;
  });
  return el("div", { class: "tpl-field inline" }, box, el("label", { for: id }, label));
}

// Up, down and remove buttons for element i of list; `redraw` after each.
function moveButtons(list: Json[], i: number, what: string, redraw: () => void): HTMLElement {
  const up = el("button", { type: "button", class: "secondary", "aria-label": `${what}上移` }, "上移") as HTMLButtonElement;
  const down = el("button", { type: "button", class: "secondary", "aria-label": `${what}下移` }, "下移") as HTMLButtonElement;
  const del = el("button", { type: "button", class: "secondary", "aria-label": `删除${what}` }, "删除") as HTMLButtonElement;
  up.disabled = i === 0;
  down.disabled = i === list.length - 1;
  up.addEventListener("click", () => { [list[i - 1], list[i]] = [list[i], list[i - 1]]; redraw(); });
  down.addEventListener("click", () => { [list[i + 1], list[i]] = [list[i], list[i + 1]]; redraw(); });
  del.addEventListener("click", () => { list.splice(i, 1); redraw(); });
  return el("span", { class: "tpl-moves" }, up, down, del);
}

// The slots a text names: {tc_done} → tc_done.
export function slotsOf(text: string): string[] {
  return [...text.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
}

export function templateEditor(opts: TemplateEditorOptions): { open(name: string): Promise<void>; use(t: Json): void; template(): Json } {
  let t: Json = null;
  const root = el("div", { class: "tpl-editor" });
  // The indicator and data element codes every code field offers, built once (the items do
  // not change while the editor is open).
  const codes = el("datalist", { id: `tpl-codes-${++serial}` });
  for (const x of opts.items) codes.append(el("option", { value: x.code }, x.name));
  opts.container.append(codes, root);
  const itemName = (code: string): string => opts.items.find((x) => x.code === code)?.name ?? "";

  // A select of every slot (built-in and the template's figures) that inserts {slot} at the caret.
  const slotInserter = (area: HTMLTextAreaElement, obj: Json, key: string): HTMLElement => {
    const id = `tpl-${++serial}`;
    const sel = el("select", { id, class: "tpl-slot" }) as HTMLSelectElement;
    sel.append(el("option", { value: "" }, "插入数字或字段…"));
    const figures = el("optgroup", { label: "本模板的数字" });
    for (const [k, f] of Object.entries(t.figures ?? {}))
      figures.append(el("option", { value: k }, `${k}：${itemName((f as Json).dx) || (f as Json).dx}`));
    const fixed = el("optgroup", { label: "固定字段" });
    for (const [k, label] of BUILT_IN) fixed.append(el("option", { value: k }, `${k}：${label}`));
    sel.append(figures, fixed);
    sel.addEventListener("change", () => {
      if (!sel.value) return;
      const at = area.selectionStart ?? area.value.length;
      const slot = `{${sel.value}}`;
      area.value = area.value.slice(0, at) + slot + area.value.slice(area.selectionEnd ?? at);
      obj[key] = area.value;
      sel.value = "";
      area.focus();
      area.setSelectionRange(at + slot.length, at + slot.length);
    });
    return el("div", { class: "tpl-field" }, el("label", { for: id }, "插入"), sel);
  };

  const blockEditor = (b: Json, redraw: () => void): HTMLElement => {
    const box = el("div", { class: "tpl-block-body" });
    switch (b.type) {
      case "text": {
        const [f, area] = textField("句子（数字写成 {名称}）", b, "text", { area: true, keep: true, cls: "tpl-text" });
        box.append(f, slotInserter(area as HTMLTextAreaElement, b, "text"), checkField("编号（一）（二）…，无数据时略去", b, "numbered"));
        break;
      }
      case "item": {
        const [f, area] = textField("句子", b, "text", { area: true, keep: true, cls: "tpl-text" });
        box.append(textField("标题", b, "title", { wide: true })[0], f, slotInserter(area as HTMLTextAreaElement, b, "text"),
          textField("来源", b, "source")[0]);
        break;
      }
      case "list": {
        const id = `tpl-${++serial}`;
        const area = el("textarea", { id, rows: "4" }) as HTMLTextAreaElement;
        area.value = (Array.isArray(b.items) ? b.items : []).join("\n");
        area.addEventListener("input", () => { b.items = area.value.split("\n").map((x) => x.trim()).filter((x) => x); });
        box.append(el("div", { class: "tpl-field" }, el("label", { for: id }, "列表项（每行一项）"), area));
        break;
      }
      case "entries":
        box.append(selectField("内容来自", b, "from", [["article", "本期间“工作动态”栏目的文章"], ["event", "编辑录入的事件"]], "article"));
        break;
      case "table": {
        box.append(textField("表题", b, "caption", { wide: true })[0]);
        if (!Array.isArray(b.rows)) b.rows = [];
        const table = el("table", { class: "tpl-rows" }, el("thead", {}, el("tr", {},
          ...["项目", "任务数", "完成数", "完成率", "计量单位", ""].map((x) => el("th", { scope: "col" }, x)))));
        const tbody = el("tbody");
        b.rows.forEach((r: Json, i: number) => {
          const cell = (key: string, label: string): HTMLElement => {
            const input = el("input", { size: key === "label" ? "14" : key === "unit" ? "4" : "12", "aria-label": `第${i + 1}行${label}`, list: key !== "label" && key !== "unit" && codes.id }) as HTMLInputElement;
            input.value = typeof r[key] === "string" ? r[key] : "";
            input.title = itemName(input.value);
            input.addEventListener("input", () => {
              if (input.value === "" && key !== "label" && key !== "rate") delete r[key];
              else r[key] = input.value;
              input.title = itemName(input.value);
            });
            return el("td", {}, input);
          };
          tbody.append(el("tr", {}, cell("label", "项目"), cell("target", "任务数"), cell("done", "完成数"), cell("rate", "完成率"), cell("unit", "计量单位"),
            el("td", {}, moveButtons(b.rows, i, `第${i + 1}行`, redraw))));
        });
        table.append(tbody);
        const add = el("button", { type: "button", class: "secondary" }, "添加一行");
        add.addEventListener("click", () => { b.rows.push({ label: "", rate: "" }); redraw(); });
        box.append(table, add, el("p", { class: "muted hint" }, "任务数、完成数、完成率填指标或数据元的代码，可从候选中选择。"));
        break;
      }
      default:
        box.append(el("p", { class: "muted" }, `（此类内容“${String(b.type)}”在此不能编辑，保存时原样保留）`));
    }
    return box;
  };

  const draw = (): void => {
    if (!t) return;
    root.replaceChildren();
    // Title and switches.
    root.append(el("fieldset", { class: "tpl-head" }, el("legend", {}, "标题与版式"),
      textField("标题（可用 {ou} {period} {year}）", t, "title", { wide: true, keep: true })[0],
      checkField("刊头（简报：卫生健康信息、第N期、主办单位）", t, "masthead"),
      checkField("章节标题自动编号（一、二、…）", t, "numbered_sections")));
    // Figures.
    if (!t.figures || typeof t.figures !== "object") t.figures = {};
    const figs = el("fieldset", { class: "tpl-figures" }, el("legend", {}, "数字（句子里写成 {名称}）"));
    const ftable = el("table", {}, el("thead", {}, el("tr", {}, ...["名称", "指标或数据元", "写法", "计量单位", "期间", "单位", ""].map((x) => el("th", { scope: "col" }, x)))));
    const fbody = el("tbody");
    for (const [key, f] of Object.entries(t.figures) as [string, Json][]) {
      const dx = el("input", { size: "16", list: codes.id, "aria-label": `${key}的指标或数据元代码`, value: f.dx ?? "" }) as HTMLInputElement;
      const dxName = el("span", { class: "muted" }, itemName(f.dx ?? ""));
      dx.addEventListener("input", () => { f.dx = dx.value; dxName.textContent = itemName(dx.value); });
      const pick = (k: string, choices: [string, string][], fallback: string, label: string): HTMLElement => {
        const s = selectField(label, f, k, choices, fallback);
        s.querySelector("label")!.className = "visually-hidden";
        return s;
      };
      const unit = el("input", { size: "4", "aria-label": `${key}的计量单位`, value: f.unit ?? "" }) as HTMLInputElement;
      unit.addEventListener("input", () => { if (unit.value) f.unit = unit.value; else delete f.unit; });
      const del = el("button", { type: "button", class: "secondary", "aria-label": `删除数字 ${key}` }, "删除");
      del.addEventListener("click", () => { delete t.figures[key]; draw(); });
      fbody.append(el("tr", { "data-figure": key }, el("th", { scope: "row" }, key), el("td", {}, dx, " ", dxName),
        el("td", {}, pick("format", FORMATS, "count", `${key}的写法`)), el("td", {}, unit),
        el("td", {}, pick("pe", [["range", "所选期间"], ["year", "所选期间的全年"]], "range", `${key}的期间`)),
        el("td", {}, pick("ou", [["self", "本单位"], ["parent", "上级单位"]], "self", `${key}的单位`)), el("td", {}, del)));
    }
    ftable.append(fbody);
    const newKey = el("input", { id: "tpl-new-figure", size: "12", placeholder: "如 tc_done" }) as HTMLInputElement;
    const addFig = el("button", { type: "button", class: "secondary" }, "添加数字");
    const figMsg = el("span", { role: "status", class: "error" });
    addFig.addEventListener("click", () => {
      const k = newKey.value.trim();
      if (!/^[a-z][a-z0-9_]*$/.test(k)) { figMsg.textContent = "名称用小写字母、数字和下划线，以字母开头"; return; }
      if (t.figures[k] || BUILT_IN.some(([b]) => b === k)) { figMsg.textContent = `名称“${k}”已被使用`; return; }
      t.figures[k] = { dx: "", format: "count" };
      draw();
    });
    figs.append(ftable, el("div", { class: "controls" }, el("div", {}, el("label", { for: "tpl-new-figure" }, "新数字的名称"), newKey), addFig, figMsg));
    root.append(figs);
    // Sections and their blocks.
    if (!Array.isArray(t.sections)) t.sections = [];
    const secs = el("fieldset", { class: "tpl-sections" }, el("legend", {}, "章节"));
    t.sections.forEach((s: Json, si: number) => {
      if (!Array.isArray(s.blocks)) s.blocks = [];
      const sec = el("section", { class: "tpl-section", "aria-label": `第${si + 1}节` },
        el("div", { class: "tpl-row" }, textField(`第${si + 1}节标题（可空）`, s, "heading", { wide: true, keep: true, cls: "tpl-heading" })[0],
          moveButtons(t.sections, si, `第${si + 1}节`, draw)));
      s.blocks.forEach((b: Json, bi: number) => {
        const label = BLOCK_TYPES.find(([v]) => v === b.type)?.[1] ?? String(b.type);
        sec.append(el("div", { class: "tpl-block", "data-type": String(b.type) },
          el("div", { class: "tpl-row" }, el("strong", {}, `${bi + 1}. ${label}`), moveButtons(s.blocks, bi, `第${si + 1}节第${bi + 1}项`, draw)),
          blockEditor(b, draw)));
      });
      const typeSel = el("select", { id: `tpl-add-${si}`, "aria-label": `第${si + 1}节添加的内容类型` }) as HTMLSelectElement;
      for (const [v, label] of BLOCK_TYPES) typeSel.append(el("option", { value: v }, label));
      const add = el("button", { type: "button", class: "secondary tpl-add-block" }, "添加内容");
      add.addEventListener("click", () => {
        const fresh: Record<string, Json> = { text: { type: "text", text: "" }, item: { type: "item", title: "", text: "", source: "" },
          list: { type: "list", items: [] }, table: { type: "table", caption: "", rows: [{ label: "", rate: "" }] }, entries: { type: "entries", from: "article" } };
        s.blocks.push(fresh[typeSel.value]);
        draw();
      });
      sec.append(el("div", { class: "tpl-row" }, typeSel, add));
      secs.append(sec);
    });
    const addSec = el("button", { type: "button", class: "secondary", id: "tpl-add-section" }, "添加章节");
    addSec.addEventListener("click", () => { t.sections.push({ heading: "", blocks: [{ type: "text", text: "" }] }); draw(); });
    secs.append(addSec);
    root.append(secs);
  };

  return {
    async open(n: string): Promise<void> {
      t = await opts.load(n);
      draw();
    },
    use(x: Json): void {
      t = x;
      draw();
    },
    template: () => t,
  };
}

// What a template's sentences name but it does not define, in Chinese; empty when all is well.
export function undefinedSlots(t: Json): string[] {
  const known = new Set([...BUILT_IN.map(([k]) => k), ...Object.keys(t?.figures ?? {})]);
  const missing = new Set<string>();
  const visit = (x: Json): void => {
    if (typeof x === "string") slotsOf(x).forEach((s) => { if (!known.has(s)) missing.add(s); });
    else if (Array.isArray(x)) x.forEach(visit);
    else if (x && typeof x === "object") Object.entries(x).forEach(([k, v]) => { if (k !== "figures") visit(v); });
  };
  visit(t);
  return [...missing];
}
