// The director's and the officer's journeys in the workbench (issue 15, item 12), run by
// browser_test.mjs with the city admin signed in on `page`:
// - 数据透视: periods typed as 2024年1-7月, 2024-01..2024-07, 202401..202407, split into months or
//   quarters, named (2024年1月, 2024年第1季度) not coded, mistakes named in Chinese, and the matrix
//   on screen exported to Excel (the workbook unzipped and read here);
// - 工作台: drilling into a unit changes the address, Back returns, a pasted address opens there;
//   the ranking marks units behind 时序进度 and states the time line;
// - 报告生成: the unit chosen by name, templates by Chinese titles, an issue number (第N期).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";

// The entries of a zip file (the XLSX), by name: enough of APPNOTE for a workbook.
function unzip(buf) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  const entries = new Map();
  let at = buf.readUInt32LE(eocd + 16);
  for (let i = 0, n = buf.readUInt16LE(eocd + 10); i < n; i++) {
    const method = buf.readUInt16LE(at + 10), size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28), extra = buf.readUInt16LE(at + 30), comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    entries.set(name, (method === 8 ? inflateRawSync(data) : data).toString("utf8"));
    at += 46 + nameLen + extra + comment;
  }
  return entries;
}

// The first sheet of a workbook as rows of cell texts (shared strings resolved).
function sheetRows(path) {
  const files = unzip(readFileSync(path));
  const decode = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
  const strings = [...(files.get("xl/sharedStrings.xml") ?? "").matchAll(/<si>(.*?)<\/si>/gs)]
    .map((m) => decode([...m[1].matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map((t) => t[1]).join("")));
  const sheet = files.get("xl/worksheets/sheet1.xml") ?? "";
  return [...sheet.matchAll(/<row [^>]*>(.*?)<\/row>/gs)].map((row) =>
    [...row[1].matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)].map((c) => {
      const v = (c[3] ?? "").match(/<v>(.*?)<\/v>/)?.[1] ?? "";
      return { col: c[1], text: /t="s"/.test(c[2]) ? strings[Number(v)] : v };
    }));
}

export async function officerJourneys({ page, context, base, check, axe, artefacts }) {
  // A screenshot for the README: the whole page, or the screen scrolled to `at`.
  const shoot = async (name, at = null, block = "start") => {
    if (!artefacts) return;
    if (at) await page.locator(at).first().evaluate((e, b) => e.scrollIntoView({ block: b }), block);
    await page.screenshot({ path: join(artefacts, name), fullPage: !at });
  };
  // ---- 数据透视
  await page.goto(base + "/admin/pivot");
  await page.locator("#run").waitFor();
  const heads = async () => (await page.$$eval("#pivot thead th", (ths) => ths.map((t) => t.textContent))).slice(2);
  const run = async (text, split) => {
    await page.fill("#pe", text);
    await page.selectOption("#pe-split", split);
    await page.click("#run");
    await page.waitForSelector("#pivot, #pe-error, #app .error");
  };
  await run("2024年13月", "month");
  check("pivot: a month that does not exist is named in Chinese",
    /期间有误：“2024年13月”的月份 13 不存在/.test(await page.textContent("#pe-error")), await page.textContent("#pe-error"));
  await run("七月份", "none");
  check("pivot: unreadable periods are refused in Chinese with examples",
    /无法识别期间“七月份”.*2024年1-7月/.test(await page.textContent("#pe-error")), await page.textContent("#pe-error"));
  const months = ["2024年1月", "2024年2月", "2024年3月", "2024年4月", "2024年5月", "2024年6月", "2024年7月"];
  await run("2024年1-7月", "month");
  check("pivot: 2024年1-7月 by month gives seven columns named 2024年1月…2024年7月",
    JSON.stringify(await heads()) === JSON.stringify(months), JSON.stringify(await heads()));
  await run("202401..202407", "month");
  check("pivot: 202401..202407 by month is split, not one column", JSON.stringify(await heads()) === JSON.stringify(months),
    JSON.stringify(await heads()));
  await run("2024-01..2024-07", "quarter");
  check("pivot: 2024-01..2024-07 by quarter: 2024年第1季度, 2024年第2季度, 2024年7月",
    JSON.stringify(await heads()) === JSON.stringify(["2024年第1季度", "2024年第2季度", "2024年7月"]), JSON.stringify(await heads()));
  await run("2024-01..2024-07", "none");
  check("pivot: a range kept whole is named 2024年1-7月", JSON.stringify(await heads()) === JSON.stringify(["2024年1-7月"]),
    JSON.stringify(await heads()));
  check("pivot: no period codes on screen", !/\b20\d{4}\b|\d{4}Q\d/.test(await page.textContent("#pivot thead")));
  // The 9 旗/区 by month, exported: the workbook holds the same matrix.
  await run("2024年1-7月", "month");
  const screen = await page.$$eval("#pivot tr", (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  await shoot("pivot.png");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#xlsx")]);
  const rows = sheetRows(await download.path());
  check("pivot Excel: one header row and one row per row on screen", rows.length === screen.length,
    `${rows.length} rows in the workbook, ${screen.length} on screen`);
  check("pivot Excel: the columns are the periods on screen, by name",
    JSON.stringify(rows[0]?.slice(2).map((c) => c.text)) === JSON.stringify(months), JSON.stringify(rows[0]));
  const num = (t) => (t === "—" || t === "" ? null : Number(String(t).replace(/,/g, "")));
  const same = screen.slice(1).every((r, i) => r[1] === rows[i + 1]?.[1]?.text &&
    r.slice(2).every((t, k) => {
      const cell = rows[i + 1].find((c) => c.col === String.fromCharCode(67 + k));
      const [a, b] = [num(t), cell ? Number(cell.text) : null];
      return a === null ? b === null : b !== null && Math.abs(a - b) < 0.01;
    }));
  check("pivot Excel: every row's unit and figures are those on screen", same, JSON.stringify(rows[1]));
  // Coverage counted from the immunization records, chosen like any indicator beside the
  // aggregate ones: the demo's children live in 鄂托克旗, so its row has a rate and no other does.
  const coverage = page.locator('#dx optgroup[label="个案指标（免疫规划）"] option');
  check("pivot: the program indicators are offered", (await coverage.allTextContents()).join() === "接种率,及时接种率,全程接种率,建卡率",
    (await coverage.allTextContents()).join());
  await page.selectOption("#dx", ["ImmCoverage"]);
  const lastYear = String(new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear() - 1);
  await run(lastYear, "none");
  const rated = await page.$$eval("#pivot tbody tr", (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  const rate = (r) => Number(String(r[2]).replace(/,/g, ""));
  const etuoke = rated.find((r) => r[1] === "鄂托克旗");
  check("pivot: 接种率 of 鄂托克旗 last year is a rate from its records", !!etuoke && etuoke[0] === "接种率" && rate(etuoke) > 50 && rate(etuoke) <= 100,
    JSON.stringify(rated));
  check("pivot: no other 旗/区 has a 接种率 (no records there)", rated.filter((r) => r[1] !== "鄂托克旗").every((r) => !(rate(r) > 0)),
    JSON.stringify(rated));
  await axe(page, "workbench: 数据透视");

  // ---- 工作台: drill-down in the address, the time line
  await page.goto(base + "/admin");
  const unitLine = page.locator("#dashboard-unit");
  const ranking = page.locator("table.ranking tbody tr");
  await ranking.first().waitFor();
  const cityUrl = page.url();
  await page.locator("table.ranking button.drill", { hasText: "鄂托克旗" }).click();
  await page.waitForFunction(() => document.querySelector("#dashboard-unit")?.textContent?.includes("鄂托克旗"));
  const bannerUrl = page.url();
  check("drilling into a unit changes the address", bannerUrl !== cityUrl && /[?&]ou=/.test(bannerUrl), `${cityUrl} → ${bannerUrl}`);
  await page.locator("table.ranking tbody tr").first().waitFor();
  await page.goBack();
  await page.waitForFunction(() => document.querySelector("#dashboard-unit")?.textContent?.includes("鄂尔多斯市"));
  await page.locator("table.ranking tbody tr").first().waitFor();
  check("Back returns to the city and its 9 旗/区", page.url() === cityUrl && (await ranking.count()) === 9, page.url());
  const pasted = await context.newPage();
  pasted.setDefaultTimeout(20000);
  await pasted.goto(bannerUrl);
  await pasted.waitForFunction(() => document.querySelector("#dashboard-unit")?.textContent?.includes("鄂托克旗"));
  await pasted.locator("table.ranking tbody tr").first().waitFor();
  check("a pasted address opens at its level", !(await pasted.locator("table.ranking").textContent()).includes("鄂托克前旗"));
  await pasted.click("#dashboard-up");
  check("返回上一级 from a pasted address goes up the tree", await pasted
    .waitForFunction(() => document.querySelector("#dashboard-unit")?.textContent?.includes("鄂尔多斯市"))
    .then(() => true, () => false));
  // Any unit of the tree by name, from the dashboard's picker; Back returns.
  await pasted.fill("#dashboard-ou", "乌兰镇");
  // The option 乌兰镇 · 鄂托克旗: focusing the box first lists the city's banners (鄂托克旗 among
  // them) until the answer for the typed name arrives, so the option is picked by both names.
  await pasted.locator("#dashboard-ou-list [role=option]", { hasText: "乌兰镇" }).filter({ hasText: "鄂托克旗" }).first().click();
  await pasted.click("#dashboard-go");
  await pasted.waitForFunction(() => document.querySelector("#dashboard-unit")?.textContent?.includes("乌兰镇"));
  check("a unit chosen by name opens in the dashboard, in the address", /[?&]ou=/.test(pasted.url()) && pasted.url() !== bannerUrl);
  await pasted.goBack();
  await pasted.waitForFunction(() => document.querySelector("#dashboard-unit")?.textContent?.includes("鄂尔多斯市"));
  await pasted.close();

  // 时序进度: stated on the page; exactly the units below it are marked.
  const timeline = async () => {
    const note = await page.locator("#timeline").textContent();
    const percent = Number((note.match(/时序进度 ([\d.]+)%/) ?? [])[1]);
    const marks = await page.$$eval("table.ranking tbody tr", (trs) => trs.map((tr) =>
      [Number(tr.children[2].textContent.replace(/,/g, "")), tr.classList.contains("behind")]));
    return { note, percent, marks };
  };
  const year = Number(await page.inputValue("#year"));
  let t = await timeline();
  const now = new Date();
  const expected = year < now.getFullYear() ? 100 : (100 * now.getMonth()) / 12;
  check("the ranking states the time line (时序进度)", Math.abs(t.percent - expected) < 0.06, `${t.note} (expected ${expected.toFixed(1)})`);
  check("units below the time line are marked, the others not",
    t.marks.length === 9 && t.marks.every(([v, behind]) => behind === (v < t.percent)), JSON.stringify(t.marks));
  await page.selectOption("#year", "2024");
  await page.waitForFunction(() => /2024年全年已过/.test(document.querySelector("#timeline")?.textContent ?? ""));
  t = await timeline();
  await shoot("dashboard-timeline.png", "table.ranking", "end");
  check("for a past year the time line is 100%", t.percent === 100 && t.marks.every(([v, behind]) => behind === (v < 100)),
    JSON.stringify(t));
  check("the year is in the address too", /year=2024/.test(page.url()), page.url());
  await axe(page, "workbench: dashboard with the time line");

  // ---- 报告生成: units by name, templates by title, 期号
  await page.goto(base + "/admin/reports");
  await page.locator("#template option").first().waitFor({ state: "attached" });
  const titles = await page.$$eval("#template option", (os) => os.filter((o) => ["progress", "annual", "bulletin"].includes(o.value)).map((o) => o.textContent));
  check("templates are listed by their Chinese titles", titles.length === 3 &&
    titles.every((x) => /[\u4e00-\u9fff]/.test(x) && !/[A-Za-z{}]/.test(x)), JSON.stringify(titles));
  await page.fill("#report-ou", "鄂托克");
  await page.locator("#report-ou-list [role=option]").first().waitFor();
  await page.locator("#report-ou-list [role=option]", { hasText: /^鄂托克旗/ }).first().click();
  check("the unit is chosen from the tree by name", (await page.inputValue("#report-ou")) === "鄂托克旗");
  // The tree below the chosen unit, without typing.
  await page.fill("#report-ou", "");
  await page.fill("#report-ou", "鄂托克旗");
  await page.press("#report-ou", "ArrowDown");
  await page.locator("#report-ou-list", { hasText: "鄂托克旗的下级单位" }).waitFor();
  check("the picker lists the chosen unit's children", (await page.locator("#report-ou-list").textContent()).includes("乌兰镇"));
  await page.press("#report-ou", "ArrowDown");
  const active = await page.getAttribute("#report-ou", "aria-activedescendant");
  const activeName = await page.$eval(`#${active}`, (li) => li.firstChild.textContent);
  await page.press("#report-ou", "Enter");
  check("a child is chosen with the keyboard (↓, Enter)", (await page.inputValue("#report-ou")) === activeName,
    `${await page.inputValue("#report-ou")} / ${activeName}`);
  await page.fill("#report-ou", "鄂托克");
  await page.locator("#report-ou-list [role=option]", { hasText: /^鄂托克旗/ }).first().click();
  await page.press("#report-ou", "Escape");
  await page.selectOption("#template", "bulletin");
  await page.fill("#report-pe", "2024年1-7月");
  await page.fill("#report-issue", "abc");
  await page.click("#generate");
  await page.waitForSelector(".preview .error");
  check("a bad issue number is named in Chinese", (await page.textContent(".preview")).includes("期号有误"), await page.textContent(".preview"));
  await page.fill("#report-issue", "12");
  await page.click("#generate");
  check("the issue number reaches the document (第12期)", await page
    .waitForFunction(() => /第12期/.test(document.querySelector(".preview")?.textContent ?? ""))
    .then(() => true, () => false));
  await shoot("report-issue.png", "h1");
  check("the downloads carry the issue number", (await page.getAttribute("a:has-text('下载 PDF')", "href")).includes("issue=12"));
  await page.fill("#note", "浏览器测试：第12期");
  await page.click("#publish");
  await page.waitForFunction(() => /已发布|未发布/.test(document.querySelector("#publish-status")?.textContent ?? ""));
  const published = await page.textContent("#publish-status");
  check("the published bulletin's title carries its number", /第12期/.test(published), published);
  const listed = page.locator('h2:has-text("已发布的报告") + div table');
  await listed.locator("td", { hasText: "2024年1-7月" }).first().waitFor();
  check("published reports are listed by unit and period names", (await listed.textContent()).includes("鄂托克旗") &&
    !/150624|202401\.\./.test(await listed.textContent()), await listed.textContent());
  await axe(page, "workbench: 报告生成");

  // ---- 编辑模板: sections, sentences with figure slots, tables — saved as the same JSON
  const canonical = (x) => JSON.stringify(x, (k, v) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((key) => [key, v[key]])) : v));
  const fetchTemplate = (n) => page.evaluate(async (x) => (await fetch(`/api/reportTemplates/${x}`)).json(), n);
  const saveAs = async (n) => {
    await page.fill("#template-name", n);
    await page.click("#template-save");
    await page.waitForFunction(() => /已保存|未保存/.test(document.querySelector("#template-status")?.textContent ?? ""));
    return page.textContent("#template-status");
  };
  await page.selectOption("#template", "progress");
  await page.click("#template-load");
  await page.locator(".tpl-section").first().waitFor();
  check("the template opens as sections, not JSON", (await page.locator(".tpl-section").count()) >= 5 &&
    (await page.locator("#template-json").isVisible()) === false);
  check("a table is edited row by row", (await page.locator(".tpl-block[data-type=table] table.tpl-rows tbody tr").count()) === 4);
  const original = await fetchTemplate("progress");
  check("loaded and saved unchanged, the JSON is the same", (await saveAs("progress_copy")).includes("已保存") &&
    canonical({ ...(await fetchTemplate("progress_copy")), name: "progress" }) === canonical(original));
  await page.locator(".tpl-section").nth(1).locator("input.tpl-heading").fill("一、重点项目完成情况");
  const third = page.locator(".tpl-section").nth(2);
  await third.locator("select[id^=tpl-add-]").selectOption("text");
  await third.locator(".tpl-add-block").click();
  const sentence = page.locator(".tpl-section").nth(2).locator("textarea.tpl-text").last();
  await sentence.fill("其中农村妇女完成");
  await page.locator(".tpl-section").nth(2).locator("select.tpl-slot").last().selectOption("tc_done");
  check("a figure slot is inserted into the sentence", (await sentence.inputValue()) === "其中农村妇女完成{tc_done}", await sentence.inputValue());
  const status = await saveAs("progress_city");
  const edited = structuredClone(original);
  edited.name = "progress_city";
  edited.sections[1].heading = "一、重点项目完成情况";
  edited.sections[2].blocks.push({ type: "text", text: "其中农村妇女完成{tc_done}" });
  const saved = await fetchTemplate("progress_city");
  check("the edited template is saved as the same JSON with the edits", status.includes("已保存") && canonical(saved) === canonical(edited),
    canonical(saved).slice(0, 300));
  await sentence.fill("其中农村妇女完成{no_such}");
  check("a slot the template does not define is refused in Chinese", (await saveAs("progress_city")).includes("未定义的数字 {no_such}"));
  await shoot("template-editor.png", ".tpl-sections");
  await axe(page, "workbench: 编辑模板");
}
