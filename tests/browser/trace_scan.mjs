// 扫码 with a live camera (issue 17 item 9), run by browser_test.mjs: a Chromium of its own whose
// fake camera (--use-file-for-fake-video-capture) shows the Code 128 of a 20-digit 追溯码. The
// 接种员 opens a child's card on a phone, presses 扫码: the camera opens, the frames are decoded,
// the box is filled and the status says so, and every track of the camera is stopped.
import { join } from "node:path";
import { code128Y4m } from "./barcodes.mjs";
import { vaccinatorOnPhone } from "./immunization_day.mjs";

export async function traceScanWithCamera({ chromium, launchArgs, executablePath, base, check, artefacts, password, tmp }) {
  const traceCode = "81234567890123456780";
  const video = join(tmp, "trace-code.y4m");
  code128Y4m(video, traceCode);
  const browser = await chromium.launch({
    executablePath,
    args: [...launchArgs, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`],
  });
  try {
    const { context, page } = await vaccinatorOnPhone(browser, base, password);
    await context.grantPermissions(["camera"], { origin: base });
    const listShown = () => page.waitForFunction(() => /名儿童|没有应种/.test(document.querySelector(".due-list [role=status]")?.textContent ?? ""));
    await listShown(); // signed in
    // Every stream the page opens, to see that its tracks are stopped.
    await page.addInitScript(() => {
      const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      window.__scanStreams = [];
      navigator.mediaDevices.getUserMedia = async (c) => {
        const s = await open(c);
        window.__scanStreams.push(s);
        return s;
      };
    });
    await page.reload();
    await listShown();
    await page.locator(".due-list .child-link").first().click();
    await page.waitForSelector("#dose-form");
    await page.click("#dose-trace-scan");
    await page.waitForFunction(() => /已识别|不是|无法|没有找到|未获准|不允许/.test(document.querySelector("#dose-trace-scan-status")?.textContent ?? ""),
      null, { timeout: 30000 }).catch(() => {});
    const status = await page.textContent("#dose-trace-scan-status");
    check("扫码 with a camera reads the 追溯码 from the frames", (await page.inputValue("#dose-trace")) === traceCode, status);
    check("the status says the code was read", status.includes("已识别追溯码") && status.includes(traceCode), status);
    const streams = await page.evaluate(() => window.__scanStreams.map((s) => s.getTracks().map((t) => t.readyState)));
    check("the camera was opened once and its tracks are stopped after the read",
      streams.length === 1 && streams[0].length > 0 && streams[0].every((s) => s === "ended"), JSON.stringify(streams));
    check("the camera picture is gone", await page.locator("#dose-trace-scan-panel").isHidden() &&
      (await page.evaluate(() => document.querySelector("#dose-trace-scan-video")?.srcObject ?? null)) === null);
    await page.screenshot({ path: join(artefacts, "immunization-camera-scan.png") });
    await context.close();
  } finally {
    await browser.close().catch(() => {});
  }
}
