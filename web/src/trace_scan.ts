// 扫码 beside the 疫苗追溯码 box of 接种登记 (issue 17 item 9): the 20-digit 药品追溯码 read off
// the vaccine box with the phone's camera. Two ways, because a county server is often plain http
// on the LAN and browsers give a page the live camera (getUserMedia) only in a secure context:
// the live camera (rear), decoding frames until a code is read, when the browser allows it; and
// always a photo (<input type=file capture=environment>) decoded once taken. The decoder
// (scanner.ts, static/scanner.js) is imported only when 扫码 is pressed. A code read fills the
// box and the status (aria-live) says so; a failed read says what to do. Closing, a code read or
// leaving the page stops the camera's tracks. State: the open stream and the frame loop, owned by
// the page's (single) thread.

import { el } from "./dom";
import { checkTraceCode, scanResultText } from "./immunization_logic";

type Decoder = typeof import("./scanner");

let decoder: Promise<Decoder> | null = null;
// The decoder chunk, at the version of the page's own bundle (the ?v= of admin.js).
function loadDecoder(): Promise<Decoder> {
  const src = document.querySelector<HTMLScriptElement>('script[src*="/static/admin.js"]')?.getAttribute("src") ?? "";
  const version = /[?&]v=([^&]+)/.exec(src)?.[1] ?? "";
  const url = "/static/scanner.js" + (version ? "?v=" + encodeURIComponent(version) : "");
  decoder ??= (import(url) as Promise<Decoder>).catch((e) => {
    decoder = null; // a later press tries again
    throw e;
  });
  return decoder;
}

const FAILED_READ = "未能识别条码：请对准条码、保持光线充足后重试，或手工输入追溯码";

export interface TraceScan {
  button: HTMLElement; // 扫码, beside the box
  panel: HTMLElement; // the camera, 拍照识别, 关闭, and the status
  reset(): void; // after a dose is recorded: camera off, status cleared
}

// The 扫码 controls for the box `trace`; `onCode` is told when a code fills it.
export function traceScan(trace: HTMLInputElement, onCode: () => void = () => {}): TraceScan {
  const id = trace.id;
  const button = el("button", { type: "button", class: "secondary scan-button", id: `${id}-scan`, "aria-controls": `${id}-scan-panel`, "aria-expanded": "false" }, "扫码") as HTMLButtonElement;
  const status = el("p", { id: `${id}-scan-status`, class: "scan-status", role: "status", "aria-live": "polite" });
  const video = el("video", { id: `${id}-scan-video`, class: "scan-video", playsinline: true, muted: true, hidden: true, "aria-label": "摄像头画面：将药盒上的追溯码条码放在画面中间" }) as HTMLVideoElement;
  const photo = el("input", { id: `${id}-scan-photo`, type: "file", accept: "image/*", capture: "environment", hidden: true, "aria-label": "拍照识别追溯码" }) as HTMLInputElement;
  const photoButton = el("label", { for: photo.id, class: "button secondary", id: `${id}-scan-photo-button` }, "拍照识别");
  const close = el("button", { type: "button", class: "secondary", id: `${id}-scan-close` }, "关闭") as HTMLButtonElement;
  const panel = el("div", { id: `${id}-scan-panel`, class: "scan-panel", hidden: true },
    video, el("p", { class: "imm-actions" }, photoButton, photo, close));
  const box = el("div", { class: "scan-box" }, status, panel);

  let stream: MediaStream | null = null;
  let timer = 0;
  let shown = "";
  const say = (text: string, cls = ""): void => {
    status.className = "scan-status " + cls;
    status.textContent = text;
    shown = text;
  };
  const stopCamera = (): void => {
    window.clearTimeout(timer);
    timer = 0;
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    video.hidden = true;
  };
  const closePanel = (): void => {
    stopCamera();
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  };
  // A text read off a code: the box filled when it is a 追溯码, else why not (the camera goes on).
  const took = (text: string): boolean => {
    const r = scanResultText(text);
    if (!r.code) {
      if (shown !== r.message) say(r.message, "error");
      return false;
    }
    trace.value = r.code;
    trace.removeAttribute("aria-invalid");
    const err = document.getElementById(`${id}-error`);
    if (err) { err.hidden = true; err.textContent = ""; }
    const problem = checkTraceCode(r.code);
    say(problem ?? r.message, problem ? "error" : "ok");
    closePanel();
    trace.focus();
    onCode();
    return true;
  };

  const startCamera = async (dec: Decoder): Promise<void> => {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      say("本页不是安全连接（https），浏览器不允许网页直接打开摄像头：请点“拍照识别”拍下药盒上的追溯码条码，或手工输入");
      return;
    }
    say("正在打开摄像头……");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (e) {
      const name = e instanceof DOMException ? e.name : "";
      const why = name === "NotAllowedError" ? "未获准使用摄像头" : name === "NotFoundError" || name === "OverconstrainedError" ? "没有找到摄像头" : "摄像头无法使用";
      say(`${why}：请点“拍照识别”拍下追溯码条码，或手工输入`, "error");
      return;
    }
    if (panel.hidden) return stopCamera(); // closed while the browser asked
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    say("请将药盒上的追溯码条码对准摄像头，保持平稳……");
    const started = Date.now();
    let hinted = false;
    const frame = (): void => {
      timer = 0;
      if (!stream) return;
      if (!video.isConnected) return stopCamera(); // the page moved on
      if (video.readyState >= 2 && video.videoWidth > 0) {
        const text = dec.decodeDrawable(video, video.videoWidth, video.videoHeight, 1280);
        if (text !== null && took(text)) return;
        if (!hinted && Date.now() - started > 15000) {
          hinted = true;
          say("仍未识别：请对准条码、保持光线充足，或点“拍照识别”、手工输入", "error");
        }
      }
      timer = window.setTimeout(frame, 150);
    };
    frame();
  };

  button.addEventListener("click", async () => {
    if (!panel.hidden) return;
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    say("正在加载识别程序……");
    let dec: Decoder;
    try {
      dec = await loadDecoder();
    } catch {
      say("识别程序加载失败：请检查网络后再按“扫码”，或手工输入追溯码", "error");
      return;
    }
    if (!panel.hidden) await startCamera(dec);
  });
  photo.addEventListener("change", async () => {
    const file = photo.files?.[0];
    if (!file) return;
    stopCamera();
    say("正在识别照片……");
    try {
      const dec = await loadDecoder();
      const text = await dec.decodeFile(file);
      if (text === null) say(FAILED_READ, "error");
      else if (!took(text)) panel.hidden = false;
    } catch {
      say("照片无法读取：" + FAILED_READ, "error");
    } finally {
      photo.value = ""; // the same photo again fires change
    }
  });
  close.addEventListener("click", () => {
    closePanel();
    say("已关闭摄像头");
    button.focus();
  });
  window.addEventListener("pagehide", stopCamera);
  window.addEventListener("popstate", stopCamera);
  return { button, panel: box, reset: () => { closePanel(); say(""); } };
}
