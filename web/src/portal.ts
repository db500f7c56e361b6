// The portal's few enhancements. Every page works without them: links do the settings, the
// share link is a text field; this script only adds read-aloud, print, copy and charts.

function readAloud(): void {
  const start = document.querySelector<HTMLButtonElement>(".read-aloud");
  const stop = document.querySelector<HTMLButtonElement>(".stop-reading");
  const status = document.querySelector<HTMLElement>(".speech-status");
  const body = document.getElementById("article-body");
  if (!start || !stop || !status || !body) return;
  start.hidden = false;
  const synth = window.speechSynthesis;
  const chineseVoice = (): SpeechSynthesisVoice | undefined =>
    synth?.getVoices().find((v) => /^zh|cmn/i.test(v.lang));
  start.addEventListener("click", () => {
    if (!synth) {
      status.textContent = "您的浏览器不支持朗读功能，请使用系统自带的读屏软件。";
      return;
    }
    const voice = chineseVoice();
    if (!voice) {
      status.textContent = "您的浏览器没有安装中文语音，暂时无法朗读。可在系统设置中添加中文语音后再试。";
      return;
    }
    synth.cancel();
    const title = document.getElementById("article-title")?.textContent ?? "";
    const u = new SpeechSynthesisUtterance(title + "。" + (body.textContent ?? ""));
    u.voice = voice;
    u.lang = voice.lang;
    u.rate = 0.9;
    u.onend = () => {
      stop.hidden = true;
      status.textContent = "朗读结束。";
    };
    synth.speak(u);
    stop.hidden = false;
    status.textContent = "正在朗读……";
  });
  stop.addEventListener("click", () => {
    synth?.cancel();
    stop.hidden = true;
    status.textContent = "已停止朗读。";
  });
}

function printButton(): void {
  const b = document.querySelector<HTMLButtonElement>(".print");
  if (!b) return;
  b.hidden = false;
  b.addEventListener("click", () => window.print());
}

function copyLink(): void {
  const b = document.querySelector<HTMLButtonElement>(".copy-link");
  const input = document.getElementById("share-link") as HTMLInputElement | null;
  const status = document.querySelector<HTMLElement>(".copy-status");
  if (!b || !input || !status) return;
  b.hidden = false;
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "链接已复制。";
    } catch {
      input.select();
      status.textContent = "请按 Ctrl+C 复制已选中的链接。";
    }
  });
}

// Data release pages carry their chart as JSON next to the table it was drawn from.
function charts(): void {
  const blocks = document.querySelectorAll<HTMLElement>("pre > code.language-chart");
  if (blocks.length === 0) return;
  const s = document.createElement("script");
  s.src = "/static/charts.js";
  s.defer = true;
  document.head.appendChild(s);
}

// 朗读问题 on the message form: the human check read aloud, for readers who cannot read it.
function speakButtons(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("button.speak[data-speak]")) {
    const status = b.parentElement?.querySelector<HTMLElement>(".speak-status");
    b.hidden = false;
    b.addEventListener("click", () => {
      const synth = window.speechSynthesis;
      const voice = synth?.getVoices().find((v) => /^zh|cmn/i.test(v.lang));
      if (!synth || !voice) {
        if (status) status.textContent = "您的浏览器无法朗读，请拨打页面下方的电话留言。";
        return;
      }
      synth.cancel();
      const u = new SpeechSynthesisUtterance(b.dataset.speak ?? "");
      u.voice = voice;
      u.lang = voice.lang;
      u.rate = 0.8;
      synth.speak(u);
      if (status) status.textContent = "正在朗读问题……";
      u.onend = () => {
        if (status) status.textContent = "";
      };
    });
  }
}

readAloud();
speakButtons();
printButton();
copyLink();
charts();
