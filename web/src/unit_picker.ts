// A unit chosen by name from the org-unit tree, in place of typed codes or uids: a combobox
// (WAI-ARIA 1.2, list autocomplete) that searches /api/organisationUnits?query= within the
// caller's scope as one types, and — when nothing is typed — lists the children of the chosen
// unit, so the tree can be walked level by level. Each suggestion names its parent (乌兰镇 ·
// 鄂托克旗) because township names repeat across banners. Keyboard: ↓/↑ move, Enter chooses,
// Esc closes. State: the chosen unit, held by each picker; no globals.

import { call, el } from "./dom";

export interface PickedUnit { id: string; code: string; name: string; level: number }

export interface UnitPicker {
  element: HTMLElement; // label, input and list, to place in a form
  unit: PickedUnit | null; // the chosen unit
  set(u: PickedUnit | null): void;
  onChange(fn: (u: PickedUnit) => void): void;
}

interface Listed { id: string; code?: string; name: string; level: number; parent?: { name: string } }

const SHOWN = 20;

async function listUnits(q: URLSearchParams): Promise<{ units: Listed[]; total: number }> {
  const body = await call("/api/organisationUnits?" + q.toString());
  return { units: body.organisationUnits ?? [], total: body.pager?.total ?? (body.organisationUnits ?? []).length };
}

export function unitPicker(id: string, label: string, initial: PickedUnit | null = null): UnitPicker {
  const input = el("input", {
    id, type: "text", role: "combobox", autocomplete: "off", "aria-autocomplete": "list",
    "aria-expanded": "false", "aria-controls": `${id}-list`, "aria-describedby": `${id}-hint`,
    placeholder: "输入名称查找，如 乌兰镇", size: "18",
  }) as HTMLInputElement;
  const list = el("ul", { id: `${id}-list`, role: "listbox", class: "unit-list", "aria-label": `${label}候选`, hidden: "" });
  const hint = el("div", { id: `${id}-hint`, class: "muted hint" }, "输入名称查找；不输入时列出下级单位");
  const element = el("div", { class: "unit-picker" }, el("label", { for: id }, label), input, list, hint);
  const listeners: ((u: PickedUnit) => void)[] = [];
  let options: Listed[] = [];
  let active = -1;
  let asked = 0; // the latest request; older answers are dropped

  const picker: UnitPicker = {
    element,
    unit: null,
    set(u) {
      picker.unit = u;
      input.value = u?.name ?? "";
      input.dataset.unitId = u?.id ?? "";
    },
    onChange(fn) { listeners.push(fn); },
  };
  picker.set(initial);

  const close = (): void => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const choose = (u: Listed): void => {
    picker.set({ id: u.id, code: u.code ?? "", name: u.name, level: u.level });
    close();
    for (const fn of listeners) fn(picker.unit!);
  };
  const highlight = (i: number): void => {
    const items = [...list.querySelectorAll<HTMLElement>("[role=option]")];
    if (!items.length) return;
    active = (i + items.length) % items.length;
    items.forEach((x, k) => x.setAttribute("aria-selected", k === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  };
  const show = (units: Listed[], total: number, heading: string): void => {
    // A later answer for the same text keeps the option the user has moved to.
    const kept = active >= 0 ? options[active]?.id : undefined;
    options = units;
    list.replaceChildren();
    if (heading) list.append(el("li", { role: "presentation", class: "muted" }, heading));
    units.forEach((u, i) => {
      const li = el("li", { role: "option", id: `${id}-opt-${i}`, "aria-selected": "false", "data-id": u.id },
        u.name, u.parent ? el("span", { class: "muted" }, ` · ${u.parent.name}`) : "");
      li.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the focus in the input
      li.addEventListener("click", () => choose(u));
      list.append(li);
    });
    if (!units.length) list.append(el("li", { role: "presentation", class: "muted" }, "没有找到名称含此文字的单位"));
    else if (total > units.length) list.append(el("li", { role: "presentation", class: "muted" }, `共 ${total} 个，只列出前 ${units.length} 个，请多输入几个字`));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
    const again = kept === undefined ? -1 : units.findIndex((u) => u.id === kept);
    if (again >= 0) highlight(again);
  };
  const refresh = async (): Promise<void> => {
    const text = input.value.trim();
    const mine = ++asked;
    try {
      if (!text || (picker.unit && text === picker.unit.name)) {
        if (!picker.unit) return close();
        const r = await listUnits(new URLSearchParams({ parent: picker.unit.id, pageSize: String(SHOWN) }));
        if (mine === asked) r.units.length ? show(r.units, r.total, `${picker.unit.name}的下级单位`) : close();
        return;
      }
      const r = await listUnits(new URLSearchParams({ query: text, pageSize: String(SHOWN) }));
      if (mine === asked) show(r.units, r.total, "");
    } catch {
      if (mine === asked) close();
    }
  };
  let timer: number | undefined;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void refresh(), 150);
  });
  input.addEventListener("focus", () => void refresh());
  input.addEventListener("blur", () => {
    close();
    if (picker.unit && input.value.trim() !== picker.unit.name) input.value = picker.unit.name; // nothing half-chosen
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown") { ev.preventDefault(); if (list.hidden) void refresh(); else highlight(active + 1); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight(active - 1); }
    else if (ev.key === "Enter" && !list.hidden && active >= 0) { ev.preventDefault(); choose(options[active]); }
    else if (ev.key === "Escape") close();
  });
  return picker;
}
