// 上级平台 (issue 16 item 6): federation on both sides. As the lower instance: each target (the
// upper platform's address, the data sets pushed, the level summed to), its last push, the
// batches waiting and the failures with the upper platform's conflicts (/api/federation/targets,
// admins). As the upper instance: each county's last push, how long after its approval the data
// arrived, and the batches refused (/api/federation/sources, within the reader's units).

import { ApiError, call, el } from "./dom";

interface Conflict { object?: string; value?: string; errorCode?: string; property?: string }
interface Failure {
  kind: string; dataSet: string; period: string; orgUnit: string; stamp: string; state: string;
  attempts: number; error: string; conflicts: Conflict[];
}
interface Target {
  uid: string; url: string; source: string; dataSets: { uid: string; name: string }[]; level: number;
  format: string; lastPush: string | null; sent: number; pending: number; failures: Failure[];
}
interface SourceFailure { dataSet: string; period: string; orgUnit: string; received: string; stamp: string; action: string; conflicts: Conflict[] }
interface Source {
  source: string; user: string; lastReceived: string; lastApplied?: string; lastStamp?: string; lagMinutes?: number;
  lastBatch?: { dataSet: string; period: string; orgUnit: string; action: string; values: number };
  applied: number; unchanged: number; refused: number; failures: SourceFailure[];
}

// "2024-03-05T08:00:00.000" → "2024-03-05 08:00".
const when = (t: string | null | undefined): string => (t ? t.replace("T", " ").slice(0, 16) : "—");

// A lag in minutes as people say it: 45 分钟, 3.5 小时, 2 天.
export function lagText(minutes: number): string {
  if (minutes < 60) return `${Math.max(0, minutes)} 分钟`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 6) / 10} 小时`;
  return `${Math.round(minutes / 144) / 10} 天`;
}

function conflictList(conflicts: Conflict[]): HTMLElement {
  const ul = el("ul", { class: "conflicts" });
  for (const c of conflicts.slice(0, 10))
    ul.append(el("li", {}, [c.errorCode, c.object, c.value].filter(Boolean).join(" · ")));
  if (conflicts.length > 10) ul.append(el("li", {}, `另有 ${conflicts.length - 10} 条`));
  return ul;
}

function table(head: string[], rows: HTMLElement[]): HTMLElement {
  return el("table", {}, el("thead", {}, el("tr", {}, ...head.map((t) => el("th", { scope: "col" }, t)))), el("tbody", {}, ...rows));
}

function targetsSection(targets: Target[]): HTMLElement {
  const s = el("section", { id: "fed-targets" }, el("h2", {}, "本平台向上级推送"));
  if (!targets.length) {
    s.append(el("p", {}, "尚未设置上级平台。管理员可用命令 weijian federation add 添加。"));
    return s;
  }
  for (const t of targets) {
    s.append(el("h3", {}, `${t.url}（本平台名称：${t.source}）`),
      el("p", {}, `数据集：${t.dataSets.map((d) => d.name).join("、")}；${t.level ? `汇总到第 ${t.level} 级` : "按原始单位"}；格式 ${t.format.toUpperCase()}。`),
      el("p", { class: "fed-summary" }, `最近推送：${when(t.lastPush)}　已送达批次：${t.sent}　待推送：${t.pending}　失败：${t.failures.length}`));
    if (t.failures.length)
      s.append(table(["操作", "数据集", "期间", "单位", "审核时间", "状态", "尝试", "原因与上级冲突"],
        t.failures.map((f) => el("tr", { class: f.state === "REFUSED" ? "st-returned" : "st-late" },
          el("td", {}, f.kind === "PUSH" ? "推送" : "撤回"), el("td", {}, f.dataSet), el("td", {}, f.period),
          el("td", {}, f.orgUnit), el("td", {}, when(f.stamp)), el("td", {}, f.state === "REFUSED" ? "上级拒收" : "等待重试"),
          el("td", {}, String(f.attempts)), el("td", {}, f.error, conflictList(f.conflicts))))));
  }
  return s;
}

function sourcesSection(sources: Source[]): HTMLElement {
  const s = el("section", { id: "fed-sources" }, el("h2", {}, "下级平台推送情况"));
  if (!sources.length) {
    s.append(el("p", {}, "近 90 天没有收到下级平台的推送。"));
    return s;
  }
  s.append(table(["下级平台", "最近推送", "最近批次", "审核后送达用时", "已接收", "重复", "拒收"],
    sources.map((x) => el("tr", { class: x.failures.length ? "st-returned" : "" },
      el("td", {}, x.source), el("td", {}, when(x.lastApplied ?? x.lastReceived)),
      el("td", {}, x.lastBatch ? `${x.lastBatch.action === "RETRACT" ? "撤回 " : ""}${x.lastBatch.dataSet} ${x.lastBatch.period} ${x.lastBatch.orgUnit}` +
        (x.lastBatch.action === "RETRACT" ? "" : `（${x.lastBatch.values} 个值）`) : "—"),
      el("td", {}, x.lagMinutes === undefined ? "—" : lagText(x.lagMinutes)),
      el("td", {}, String(x.applied)), el("td", {}, String(x.unchanged)), el("td", {}, String(x.refused))))));
  for (const x of sources.filter((x) => x.failures.length)) {
    s.append(el("h3", {}, `${x.source} 被拒收的批次`), table(["数据集", "期间", "单位", "收到时间", "冲突"],
      x.failures.map((f) => el("tr", {}, el("td", {}, f.dataSet), el("td", {}, f.period), el("td", {}, f.orgUnit),
        el("td", {}, when(f.received)), el("td", {}, conflictList(f.conflicts))))));
  }
  return s;
}

export async function federationPage(app: HTMLElement): Promise<void> {
  // Targets are for admins (403 for others): the page shows what the reader may see.
  const targets = await call<{ targets: Target[] }>("/api/federation/targets").catch((e) => {
    if (e instanceof ApiError && e.status === 403) return null;
    throw e;
  });
  const sources = await call<{ sources: Source[] }>("/api/federation/sources");
  if (targets) app.append(targetsSection(targets.targets));
  app.append(sourcesSection(sources.sources));
}
