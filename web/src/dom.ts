// What every workbench module builds pages with: `el` makes an element whose text is always set
// as text (never HTML), and `call` asks the API as the signed-in user (the CSRF token on writes,
// JSON in and out) and throws the server's own message when it refuses.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";

// A refusal from the API: the server's message, with its status and body for callers that act
// on a particular refusal (a 409 naming the field to confirm, a 401 to sign in again).
export class ApiError extends Error {
  constructor(message: string, public status: number, public body: Json) {
    super(message);
  }
}

export async function call<T = Json>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.method && init.method !== "GET") headers.set("X-CSRF-Token", csrf);
  if (typeof init.body === "string" && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const r = await fetch(path, { ...init, headers, credentials: "same-origin" });
  const text = await r.text();
  let body: Json = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!r.ok) {
    const message = body && typeof body === "object" && body.message ? body.message : `HTTP ${r.status}`;
    throw new ApiError(message, r.status, body);
  }
  return body as T;
}

// el("p", {class: "x", hidden: true}, "text", child…): attributes false are left out, true are
// set empty; null children are skipped.
export function el(tag: string, attrs: Record<string, string | boolean> = {}, ...children: (Node | string | null)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null) e.append(c);
  return e;
}
