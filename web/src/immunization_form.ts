// The immunization pages' form helpers (issue 17): a labelled field with the place its error is
// shown (linked for screen readers), showing a refusal beside the field it names, and China's
// today. Shared by the 接种日 pages (immunization.ts) and the 库存 and AEFI pages
// (immunization_stock.ts).

import { ApiError, el } from "./dom";

// Today in China as YYYY-MM-DD (the server's days are China's).
export function today(): string {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// A form field: label, control, and the place its error is shown (linked for screen readers).
export function field(label: string, control: HTMLElement, hint = ""): HTMLElement {
  const id = control.id;
  const err = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const described = [hint ? `${id}-hint` : "", `${id}-error`].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  return el("div", { class: "field" }, el("label", { for: id }, label), control,
    hint ? el("p", { class: "hint muted", id: `${id}-hint` }, hint) : null, err);
}

export function clearErrors(form: HTMLElement): void {
  form.querySelectorAll<HTMLElement>(".field-error").forEach((p) => { p.hidden = true; p.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
}

// Shows `text` beside the control `id` (or, without one, in `status`) and moves the focus there.
export function showError(form: HTMLElement, status: HTMLElement, id: string | null, text: string): void {
  const control = id ? form.querySelector<HTMLElement>("#" + CSS.escape(id)) : null;
  const err = id ? form.querySelector<HTMLElement>("#" + CSS.escape(id) + "-error") : null;
  if (control && err) {
    control.setAttribute("aria-invalid", "true");
    err.textContent = text;
    err.hidden = false;
    status.className = "error";
    status.textContent = "未保存：" + text;
    control.focus();
  } else {
    status.className = "error";
    status.textContent = "未保存：" + text;
  }
}

// A refusal's message without the "field: " the server puts before it.
export function refusalText(e: ApiError): string {
  const f = e.body?.field;
  return f && e.message.startsWith(f + ": ") ? e.message.slice(f.length + 2) : e.message;
}
