// A village doctor's 接种日 on a phone (issue 17), run by browser_test.mjs in a 390 × 844 touch
// context: the demo's 接种员 (scoped to one 卫生院) signs in, opens 接种日, sees the 应种 list
// with tap-to-call phones, opens a child who has one dose due (the lot offered from her unit's stock), is refused a dose dated before
// birth (the Chinese message beside 接种日期), records it today, sees it become 已种 and the
// child leave the list; finds a child by ID number and by name + birth date, registers a new child
// (a wrong ID number named in Chinese first), moves it to a village, out of the system and back
// in (迁入迁出), and downloads the list as XLSX. Every page: no
// horizontal scrolling, targets at least 44 px, every control labelled, axe-core clean.
import { join } from "node:path";
import { barcodePng } from "./barcodes.mjs";

// Today in China (the server's day), as YYYY-MM-DD.
const chinaToday = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
const dayBefore = (iso) => new Date(Date.parse(iso + "T00:00:00Z") - 86400000).toISOString().slice(0, 10);

// A 居民身份证号 for a fictional child born on `birth` (GB 11643 check character).
function residentId(birth, sequence) {
  const first = "150624" + birth.replaceAll("-", "") + sequence;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first[i]) * w[i];
  return first + "10X98765432"[sum % 11];
}

// What breaks a phone layout: the page wider than the screen, small targets, unlabelled controls.
export async function phoneChecks(page, check, name) {
  const r = await page.evaluate(() => {
    const small = [];
    for (const e of document.querySelectorAll("#app a, #app button, #app input:not([type=radio]), #app select, #app summary")) {
      const b = e.getBoundingClientRect();
      if (b.width === 0 && b.height === 0) continue; // hidden (closed <details>)
      if (b.height < 44) small.push(`${e.tagName.toLowerCase()}#${e.id || e.className} ${Math.round(b.height)}px`);
    }
    const unlabelled = [...document.querySelectorAll("#app input, #app select")]
      .filter((c) => !c.labels?.length && !c.getAttribute("aria-label")).map((c) => c.id || c.name);
    return { scroll: document.documentElement.scrollWidth, width: window.innerWidth, small, unlabelled };
  });
  check(`${name}: no horizontal scrolling at 390 px`, r.scroll <= r.width, `${r.scroll} > ${r.width}`);
  check(`${name}: every target at least 44 px high`, r.small.length === 0, r.small.slice(0, 5).join(", "));
  check(`${name}: every control has a label`, r.unlabelled.length === 0, r.unlabelled.join(", "));
}

// A 390 × 844 touch context and the demo's 接种员 signed in from the 接种日 page's address (she
// comes back to it).
export async function vaccinatorOnPhone(browser, base, password) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "zh-CN", isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(base + "/admin/immunization");
  await page.waitForURL(/\/admin\/login/);
  await page.fill("#username", "vaccinator");
  await page.fill("#password", password("vaccinator") ?? "");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/admin\/immunization/);
  return { context, page };
}

export async function immunizationDay({ browser, base, check, axe, artefacts, password }) {
  const { context, page } = await vaccinatorOnPhone(browser, base, password);
  try {
    const listStatus = page.locator(".due-list [role=status]");
    await page.waitForFunction(() => /名儿童|没有应种/.test(document.querySelector(".due-list [role=status]")?.textContent ?? ""));
    const units = await page.locator("#imm-unit option").allTextContents();
    check("the 接种员 sees exactly her 卫生院 as 接种单位", units.length === 1 && units[0].endsWith("卫生院"), units.join(","));
    check("the date defaults to today", (await page.inputValue("#imm-date")) === chinaToday());
    check("the 应种 list has children", /\d+ 名儿童/.test(await listStatus.textContent()), await listStatus.textContent());
    const tel = page.locator(".due-list a.tel").first();
    check("guardian phones are tap-to-call links", /^tel:1\d{10}$/.test((await tel.getAttribute("href")) ?? ""), await tel.getAttribute("href"));
    check("the list shows ages and doses in Chinese", /岁|个月|天/.test(await page.locator(".due-list .child-link").first().textContent()) &&
      /第\d剂 · (应种|逾期)/.test(await page.locator(".due-list .dose-chips li").first().textContent()));
    await phoneChecks(page, check, "接种日 list");
    // Each village's first ten children (the rows are one template).
    await axe(page, "接种日 on a phone", [".due-list li.child-row:nth-child(n+11)"]);
    await page.evaluate(() => document.querySelector("#due-title").scrollIntoView());
    await page.screenshot({ path: join(artefacts, "immunization-day.png") });

    // The list as a workbook.
    const xlsx = await context.request.get(new URL(await page.getAttribute("#imm-xlsx", "href"), base).href);
    check("the due list downloads as XLSX", xlsx.ok() && (await xlsx.body()).subarray(0, 2).toString() === "PK",
      `${xlsx.status()} ${xlsx.headers()["content-type"]}`);

    // A child with exactly one dose due today.
    const pick = await page.evaluate(() => {
      for (const row of document.querySelectorAll(".due-list .child-row")) {
        const chips = row.querySelectorAll(".dose-chips li");
        if (chips.length !== 1) continue;
        return { te: row.dataset.te, birth: row.dataset.birth, series: chips[0].dataset.series, dose: chips[0].dataset.dose,
          name: row.querySelector(".child-name").textContent };
      }
      return null;
    });
    check("a child with one dose due is on the list", !!pick);
    if (!pick) return;
    await page.locator(`.child-row[data-te="${pick.te}"] .child-link`).click();
    await page.waitForSelector("#child-title");
    check("the card's address names the child (Back and a pasted address work)", page.url().includes("child=" + pick.te));
    check("the card shows the child's name", (await page.textContent("#child-title")) === pick.name);
    const row = page.locator(`.dose-row[data-series="${pick.series}"][data-dose="${pick.dose}"]`).first();
    check("the forecast shows the dose due (应种/逾期)", /^(DUE|OVERDUE)$/.test(await row.getAttribute("data-state")) &&
      /应种|逾期/.test(await row.locator(".badge").textContent()));
    const states = await page.locator(".dose-row .badge").allTextContents();
    check("the forecast's states are in Chinese", states.length > 5 && states.every((s) => /^(已种|已种无效|应种|逾期|未到|禁忌|暂缓|超龄不补)$/.test(s)),
      [...new Set(states)].join(","));
    check("the dose due is under 今日可种 with its 登记此剂 button", (await page.locator(`ul[aria-labelledby=fc-now] .dose-row[data-series="${pick.series}"][data-dose="${pick.dose}"] button.pick`).count()) === 1);
    await page.screenshot({ path: join(artefacts, "immunization-card.png") });
    await phoneChecks(page, check, "child card");
    await axe(page, "child card on a phone");

    // 登记此剂 fills the form; a date before birth is refused beside 接种日期.
    await row.locator("button.pick").click();
    check("登记此剂 chooses the dose and moves the focus to the form",
      (await page.inputValue("#dose-vaccine")) === `${pick.series}|${pick.dose}` &&
      (await page.evaluate(() => document.activeElement?.id)) === "dose-vaccine");
    await page.fill("#dose-date", dayBefore(pick.birth));
    await page.click("#dose-form button[type=submit]");
    await page.locator("#dose-date-error").waitFor({ state: "visible" });
    const refusal = await page.textContent("#dose-date-error");
    check("a dose before birth is refused in Chinese at 接种日期", refusal.includes("早于出生日期") && refusal.includes(pick.birth), refusal);
    check("the refused field is marked and focused", (await page.getAttribute("#dose-date", "aria-invalid")) === "true" &&
      (await page.evaluate(() => document.activeElement?.id)) === "dose-date");
    check("the error is read with the field", ((await page.getAttribute("#dose-date", "aria-describedby")) ?? "").includes("dose-date-error"));
    await page.locator("#dose-date").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artefacts, "immunization-refused.png") });

    // Recorded today from the unit's stock: the lot box offers the lot that expires first.
    await page.waitForFunction(() => document.querySelector("#dose-lot")?.value !== "");
    const lot = await page.inputValue("#dose-lot");
    const offered = await page.locator("#dose-lots option").evaluateAll((os) => os.map((o) => o.value));
    check("the lot box is filled from the unit's stock", offered.length >= 1 && offered[0] === lot, `${lot} of ${offered.join(",")}`);
    await page.fill("#dose-date", chinaToday());
    // 扫码 (item 9): this browser has no camera, so the photo path: a barcode that is not Code
    // 128 or DataMatrix is not read, another Code 128 is not a 追溯码, the box's Code 128 is.
    const traceCode = "81234567890123456789";
    const scanStatus = () => page.textContent("#dose-trace-scan-status");
    await page.click("#dose-trace-scan");
    await page.locator("#dose-trace-scan-panel").waitFor({ state: "visible" });
    await page.waitForFunction(() => /拍照识别/.test(document.querySelector("#dose-trace-scan-status")?.textContent ?? ""));
    check("扫码 without a camera says to take a photo or type the code", /拍照识别.*手工输入/.test(await scanStatus()), await scanStatus());
    check("the decoder is a chunk of its own, loaded on 扫码", await page.evaluate(() =>
      performance.getEntriesByType("resource").some((r) => /\/static\/scanner\.js\?v=/.test(r.name))));
    await phoneChecks(page, check, "接种登记 with 扫码 open");
    await axe(page, "接种登记 with 扫码 open");
    const photo = async (name, png) => {
      await page.setInputFiles("#dose-trace-scan-photo", { name, mimeType: "image/png", buffer: png });
      await page.waitForFunction(() => !/正在/.test(document.querySelector("#dose-trace-scan-status")?.textContent ?? ""));
      return scanStatus();
    };
    const unread = await photo("ean13.png", await barcodePng("ean13", "6901234567892"));
    check("a photo without a readable code says what to do", /对准条码、保持光线充足.*手工输入/.test(unread) &&
      (await page.inputValue("#dose-trace")) === "", unread);
    const other = await photo("lot.png", await barcodePng("code128", "LOT2026A0417"));
    check("a Code 128 that is not a 追溯码 is named, the box left empty", other.includes("LOT2026A0417") &&
      other.includes("不是 20 位追溯码") && (await page.inputValue("#dose-trace")) === "", other);
    const read = await photo("trace.png", await barcodePng("code128", traceCode));
    check("a photo of the 追溯码's Code 128 fills the box", (await page.inputValue("#dose-trace")) === traceCode, read);
    check("and says so in Chinese, in a live region", read.includes("已识别追溯码") &&
      (await page.getAttribute("#dose-trace-scan-status", "aria-live")) === "polite");
    check("the scan panel closes after a read", await page.locator("#dose-trace-scan-panel").isHidden());
    await page.locator("#dose-trace").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artefacts, "immunization-scanned.png") });
    await page.click("#dose-form button[type=submit]");
    await page.waitForFunction(() => /已登记|未保存|失败/.test(document.querySelector("#dose-status")?.textContent ?? ""));
    const saved = await page.textContent("#dose-status");
    check("the dose is recorded", saved.includes("已登记") && saved.includes("已种"), saved);
    const after = page.locator(`.dose-row[data-series="${pick.series}"][data-dose="${pick.dose}"]`).first();
    check("the dose becomes 已种 on the card", (await after.getAttribute("data-state")) === "GIVEN" &&
      (await after.locator(".badge").textContent()) === "已种" && (await after.locator(".dose-detail").textContent()).includes(chinaToday()));
    check("the dose is in the history with its lot", (await page.textContent(".dose-history")).includes(lot));
    const record = await context.request.get(`${base}/api/tracker/trackedEntities/${pick.te}`);
    check("the dose is recorded with the scanned 追溯码", record.ok() && (await record.text()).includes(traceCode),
      `${record.status()}`);
    check("the scan status is cleared for the next dose", (await scanStatus()) === "" && (await page.inputValue("#dose-trace")) === "");
    check("the refusal's marks are gone", (await page.getAttribute("#dose-date", "aria-invalid")) === null && await page.locator("#dose-date-error").isHidden());
    await page.click("a.back");
    await page.waitForFunction(() => /名儿童|没有应种/.test(document.querySelector(".due-list [role=status]")?.textContent ?? ""));
    check("the child has left the 应种 list", (await page.locator(`.due-list .child-row[data-te="${pick.te}"]`).count()) === 0);

    // Search: a wrong ID number is named; name + birth date finds the child.
    await page.click(".imm-find summary");
    await page.fill("#imm-q-id", "150624202203140040");
    await page.click(".imm-search button[type=submit]");
    await page.locator("#imm-q-id-error").waitFor({ state: "visible" });
    check("a wrong ID number in the search is named in Chinese", (await page.textContent("#imm-q-id-error")).includes("校验位"));
    await page.fill("#imm-q-id", "");
    await page.fill("#imm-q-name", pick.name);
    await page.fill("#imm-q-birth", pick.birth);
    await page.click(".imm-search button[type=submit]");
    await page.waitForFunction(() => /找到|没有找到/.test(document.querySelector("#imm-q-status")?.textContent ?? ""));
    check("the child is found by name and birth date", (await page.locator(`#imm-q-results a[href*="child=${pick.te}"]`).count()) === 1,
      await page.textContent("#imm-q-status"));
    await phoneChecks(page, check, "接种日 with the search open");

    // 儿童建档: a wrong ID number first, then a child born two months ago.
    await page.click("#imm-new");
    await page.waitForSelector("#child-form");
    await phoneChecks(page, check, "儿童建档");
    await axe(page, "儿童建档 on a phone");
    const birth = new Date(Date.now() + 8 * 3600 * 1000 - 61 * 86400000).toISOString().slice(0, 10);
    // An even sequence (a girl), different on every run so that a kept database takes it too.
    const good = residentId(birth, String((Date.now() % 450) * 2 + 100));
    await page.fill("#reg-name", "测试萨仁");
    await page.fill("#reg-id", good.slice(0, 17) + (good[17] === "0" ? "1" : "0"));
    await page.locator("#reg-id").blur();
    await page.locator("#reg-id-error").waitFor({ state: "visible" });
    check("a wrong check character is named in Chinese at 身份证号", (await page.textContent("#reg-id-error")).includes(`应为 ${good[17]}`),
      await page.textContent("#reg-id-error"));
    await page.fill("#reg-id", good.toLowerCase());
    await page.locator("#reg-id").blur();
    check("a valid ID number fills the birth date and sex", (await page.inputValue("#reg-birth")) === birth &&
      await page.isChecked("#reg-sex-F"));
    await page.fill("#reg-g-name", "测试乌云");
    await page.fill("#reg-g-phone", "13904770188");
    await page.click("#child-form button[type=submit]");
    await page.waitForSelector("#child-title");
    check("the new child's card opens after 建档", (await page.textContent("#child-title")) === "测试萨仁" &&
      (await page.textContent("#reg-note")).includes("已建档"));
    check("the newborn's first doses are on the card", (await page.locator('.dose-row[data-series="HepB"]').count()) >= 3);

    // 迁入迁出 on the card: to a village of the unit, out of the system (refused first without
    // where to), and back in.
    // The redrawn card (its note says `what` and its list has `moves` moves), or the refusal.
    const note = (what, moves) => page.waitForFunction(([w, n]) =>
      /未保存|失败/.test(document.querySelector("#move-status.error")?.textContent ?? "") ||
      (new RegExp(w).test(document.querySelector("#reg-note")?.textContent ?? "") &&
       document.querySelectorAll("#move-list li").length === n && !!document.querySelector("#move-form")), [what, moves]);
    check("a new child has no moves yet", (await page.textContent("section.transfers")).includes("没有迁移记录"));
    await page.waitForFunction(() => document.querySelectorAll("#move-village option").length > 1);
    const villageName = await page.locator("#move-village option").nth(1).textContent();
    await page.selectOption("#move-village", { index: 1 });
    await page.fill("#move-reason", "随父母迁居");
    await page.click("#move-form button[type=submit]");
    await note("已迁至", 1);
    check("the child moves to a village of the unit", (await page.textContent("#reg-note")).includes(villageName) &&
      (await page.locator('#move-list li[data-direction="MOVE"]').count()) === 1, await page.textContent("#reg-note"));
    await page.selectOption("#move-kind", "OUT");
    check("迁往系统外 asks where to, not for a unit", await page.locator("#move-destination").isVisible() && await page.locator("#move-orgUnit").isHidden());
    await page.click("#move-form button[type=submit]");
    await page.locator("#move-destination-error").waitFor({ state: "visible" });
    check("迁出 without where to is refused under 迁往地", (await page.textContent("#move-destination-error")).includes("迁往地"),
      await page.textContent("#move-destination-error"));
    await page.fill("#move-destination", "陕西省榆林市靖边县");
    await page.click("#move-form button[type=submit]");
    await note("已办理迁出", 2);
    check("迁出 closes the record", (await page.textContent("#reg-note")).includes("已办理迁出") &&
      (await page.textContent(".child-card")).includes("已迁出") && (await page.locator("#dose-form").count()) === 0,
      await page.textContent("#reg-note"));
    check("the card lists the move out with its destination", (await page.textContent('#move-list li[data-direction="OUT"]')).includes("陕西省榆林市靖边县"));
    check("a child who left can only be moved back in", (await page.locator("#move-kind option").allTextContents()).join() === "迁入本单位");
    await phoneChecks(page, check, "child card after 迁出");
    await axe(page, "child card with moves");
    await page.click("#move-form button[type=submit]");
    await note("已迁入", 3);
    check("迁入 opens the record again", (await page.textContent("#reg-note")).includes("已迁入") &&
      (await page.locator("#dose-form").count()) === 1 && (await page.locator("#move-list li").count()) === 3, await page.textContent("#reg-note"));
  } finally {
    await context.close();
  }
}
