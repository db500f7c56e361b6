// A 接种单位's stock, holds and prints on a phone (issue 17), run by browser_test.mjs after the
// 接种日 journey in a 390 × 844 touch context: the demo's 接种员 opens 疫苗库存 (balances, expiry
// alerts and needs from the demo's stock), is refused a new lot without its expiry (the Chinese
// message under 有效期), records the 入库, counts the lot one short (盘点: refused without a reason
// for the difference, then recorded as an adjustment), opens a child on the 应种 list, records a
// 暂缓 for every vaccine (refused first without its end day), lifts it (the doses are due again),
// and finds the 预防接种证 and 预约通知单 as PDF on the card; then reads her unit's AEFI reports.
// Every page: no horizontal scrolling, targets at least 44 px, every control labelled, axe clean.
import { join } from "node:path";
import { phoneChecks, vaccinatorOnPhone } from "./immunization_day.mjs";

const chinaToday = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
const daysFromToday = (n) => new Date(Date.now() + 8 * 3600 * 1000 + n * 86400000).toISOString().slice(0, 10);

export async function immunizationStock({ browser, base, check, axe, artefacts, password }) {
  const { context, page } = await vaccinatorOnPhone(browser, base, password);
  const stockShown = () => page.waitForFunction(() => /可用|没有在库|读取失败/.test(document.querySelector("#stk-status")?.textContent ?? ""));
  try {
    await page.click("#imm-stock");
    await stockShown();

    // The demo's stock: lots, a lot expiring within weeks, what the next 30 days need.
    check("库存 shows the unit's balances", /种疫苗、\d+ 个批号，可用 \d+ 剂/.test(await page.textContent("#stk-status")), await page.textContent("#stk-status"));
    check("库存 lists lots by vaccine", (await page.locator("#stk-lots li").count()) >= 3);
    check("库存 warns of lots expiring soon", /天后到期|今天到期/.test(await page.textContent(".stock-alerts")));
    check("库存 shows the due lists' needs against what is on hand", /应种 \d+ 剂，在库 \d+ 剂/.test(await page.textContent("#stk-needs")));
    await phoneChecks(page, check, "库存");
    await axe(page, "库存 on a phone");
    await page.screenshot({ path: join(artefacts, "immunization-stock.png") });

    // 入库 of a new lot: refused without its expiry, under 有效期; then recorded.
    const lot = "JT" + String(Date.now() % 100000);
    await page.selectOption("#stk-kind", "RECEIPT");
    await page.selectOption("#stk-vaccine", "HepB");
    await page.fill("#stk-lot", lot);
    await page.fill("#stk-quantity", "20");
    await page.fill("#stk-counterpart", "鄂托克旗疾病预防控制中心");
    await page.click("#stock-form button[type=submit]");
    await page.locator("#stk-expiry-error").waitFor({ state: "visible" });
    check("a new lot without its expiry is refused under 有效期", (await page.textContent("#stk-expiry-error")).includes("有效期"),
      await page.textContent("#stk-expiry-error"));
    check("the refused field is marked", (await page.getAttribute("#stk-expiry", "aria-invalid")) === "true");
    await page.fill("#stk-expiry", daysFromToday(365));
    await page.click("#stock-form button[type=submit]");
    await page.locator("#stk-note").waitFor();
    await stockShown();
    check("the 入库 is recorded", (await page.textContent("#stk-note")).includes(`已登记入库：批号 ${lot} 20 剂`), await page.textContent("#stk-note"));
    check("the new lot is on hand", (await page.getAttribute(`#stk-lots li[data-lot="${lot}"]`, "data-balance")) === "20");

    // 盘点: the new lot counted one short; refused without a reason, then recorded.
    const box = page.locator(`#count-form input[data-lot="${lot}"]`);
    await box.fill("19");
    check("the count shows the difference as it is typed", (await box.locator("xpath=..").textContent()).includes("盘亏 1 剂"));
    await page.click("#count-form button[type=submit]");
    await page.locator("#cnt-reason-error").waitFor({ state: "visible" });
    check("a difference without a reason is refused under 差异原因", (await page.textContent("#cnt-reason-error")).includes("差异原因"),
      await page.textContent("#cnt-reason-error"));
    await page.fill("#cnt-reason", "1 剂西林瓶破损未报损");
    await page.click("#count-form button[type=submit]");
    await page.waitForFunction(() => /盘点完成/.test(document.querySelector("#stk-note")?.textContent ?? ""));
    await stockShown();
    check("the count is recorded with one difference", (await page.textContent("#stk-note")).includes("1 个有差异"), await page.textContent("#stk-note"));
    check("the lot's balance is the counted one", (await page.getAttribute(`#stk-lots li[data-lot="${lot}"]`, "data-balance")) === "19");
    const newest = page.locator("#stk-ledger li").first();
    check("the ledger shows the adjustment with its reason", (await newest.getAttribute("data-kind")) === "ADJUST" &&
      (await newest.textContent()).includes("盘点调整") && (await newest.textContent()).includes("破损未报损"), await newest.textContent());
    await phoneChecks(page, check, "库存 after a count");
    await axe(page, "库存 after a count");

    // A child on today's list: 暂缓 every vaccine for a week, then lift it.
    await page.goto(base + "/admin/immunization");
    await page.waitForFunction(() => /名儿童|没有应种/.test(document.querySelector(".due-list [role=status]")?.textContent ?? ""));
    const te = await page.locator(".due-list .child-row").first().getAttribute("data-te");
    await page.locator(`.child-row[data-te="${te}"] .child-link`).click();
    await page.waitForSelector("#child-title");
    const open = async () => page.locator('.dose-row[data-state="DUE"], .dose-row[data-state="OVERDUE"]').count();
    const due = await open();
    check("the child has doses due today", due >= 1);
    await page.selectOption("#hold-vaccine", "*");
    await page.selectOption("#hold-kind", "DEFERRAL");
    await page.fill("#hold-reason", "发热 38.5℃");
    await page.click("#hold-form button[type=submit]");
    await page.locator("#hold-until-error").waitFor({ state: "visible" });
    check("a 暂缓 without its end day is refused under 暂缓至", (await page.textContent("#hold-until-error")).includes("暂缓"),
      await page.textContent("#hold-until-error"));
    await page.fill("#hold-until", daysFromToday(7));
    await page.click("#hold-form button[type=submit]");
    await page.waitForFunction(() => /已登记暂缓/.test(document.querySelector("#reg-note")?.textContent ?? ""));
    await page.locator('#hold-list li[data-state="ACTIVE"]').first().waitFor();  // the card is drawn
    check("the 暂缓 holds the doses due today", (await open()) === 0 &&
      (await page.locator('.dose-row[data-state="DEFERRED"]').count()) >= due);
    const held = page.locator('#hold-list li[data-state="ACTIVE"]').first();
    await held.locator("summary").click();
    await held.locator('input[id$="-reason"]').fill("已退热，经评估可以接种");
    await held.locator("button[type=submit]").click();
    await page.waitForFunction(() => /已解除暂缓/.test(document.querySelector("#reg-note")?.textContent ?? ""));
    await page.locator('#hold-list li[data-state="LIFTED"]').first().waitFor();
    check("lifted, the doses are due again", (await open()) === due &&
      (await page.locator("#hold-list li").first().getAttribute("data-state")) === "LIFTED" &&
      (await page.textContent("#hold-list")).includes(`已于 ${chinaToday()} 解除`));
    await phoneChecks(page, check, "child card with holds");
    await axe(page, "child card with holds and prints");

    // The prints, from the card.
    for (const [id, name] of [["#print-certificate", "预防接种证"], ["#print-notice", "预约通知单"]]) {
      const href = await page.getAttribute(id, "href");
      const pdf = await context.request.get(new URL(href, base).href);
      check(`the card links the ${name} as PDF`, pdf.ok() && (await pdf.body()).subarray(0, 5).toString() === "%PDF-", `${href} ${pdf.status()}`);
    }
    await page.locator("#print-certificate").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artefacts, "immunization-card-prints.png") });

    // The unit's AEFI reports.
    await page.goto(base + "/admin/immunization?view=aefi");
    await page.waitForFunction(() => /份报告|读取失败/.test(document.querySelector("#aefi-status")?.textContent ?? ""));
    check("the AEFI list reads", /份报告，其中严重 \d+ 份/.test(await page.textContent("#aefi-status")), await page.textContent("#aefi-status"));
    await phoneChecks(page, check, "AEFI list");
    await axe(page, "AEFI list on a phone");
  } finally {
    await context.close();
  }
}
