// 扫码 with a live camera (issue 17 item 9), run by browser_test.mjs: a Chromium of its own whose
// fake camera (--use-file-for-fake-video-capture) shows the Code 128 of a 20-digit 追溯码. The
// 接种员 opens a child's card on a phone, presses 扫码 and 关闭 (the camera's tracks stop), then
// 扫码 again: the frames are decoded, the box is filled and the status says so, and every track
// of the camera is stopped.
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
    // Every stream the page opens, to see that its tracks are stopped. The first is a camera
    // pointed at nothing (a blank canvas's stream), to close it before anything is read.
    await page.addInitScript(() => {
      const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      window.__scanStreams = [];
      navigator.mediaDevices.getUserMedia = async (c) => {
        let s;
        if (window.__scanStreams.length === 0) {
          const canvas = document.createElement("canvas");
          canvas.width = 640;
          canvas.height = 480;
          const ctx = canvas.getContext("2d");
          ctx.fillStyle = "#fff";
          ctx.fillRect(0, 0, 640, 480);
          s = canvas.captureStream(5);
        } else s = await open(c);
        window.__scanStreams.push(s);
        return s;
      };
    });
    await page.reload();
    await listShown();
    await page.locator(".due-list .child-link").first().click();
    await page.waitForSelector("#dose-form");
    const tracks = () => page.evaluate(() => window.__scanStreams.map((s) => s.getTracks().map((t) => t.readyState)));
    await page.click("#dose-trace-scan");
    await page.waitForFunction(() => /对准摄像头/.test(document.querySelector("#dose-trace-scan-status")?.textContent ?? ""));
    check("扫码 opens the camera and says to aim it at the code", await page.locator("#dose-trace-scan-video").isVisible() &&
      (await tracks())[0]?.every((t) => t === "live"), JSON.stringify(await tracks()));
    await page.locator("#dose-trace-scan-panel").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artefacts, "immunization-camera-open.png") });
    await page.click("#dose-trace-scan-close");
    check("关闭 stops the camera's tracks and says so", (await tracks())[0].every((t) => t === "ended") &&
      (await page.textContent("#dose-trace-scan-status")) === "已关闭摄像头" && await page.locator("#dose-trace-scan-panel").isHidden(),
      JSON.stringify(await tracks()));
    await page.click("#dose-trace-scan");
    await page.waitForFunction(() => /已识别|不是|无法|没有找到|未获准|不允许/.test(document.querySelector("#dose-trace-scan-status")?.textContent ?? ""),
      null, { timeout: 30000 }).catch(() => {});
    const status = await page.textContent("#dose-trace-scan-status");
    check("扫码 with a camera reads the 追溯码 from the frames", (await page.inputValue("#dose-trace")) === traceCode, status);
    check("the status says the code was read", status.includes("已识别追溯码") && status.includes(traceCode), status);
    const streams = await tracks();
    check("the camera was opened again and its tracks are stopped after the read",
      streams.length === 2 && streams[1].length > 0 && streams[1].every((s) => s === "ended"), JSON.stringify(streams));
    check("the camera picture is gone", await page.locator("#dose-trace-scan-panel").isHidden() &&
      (await page.evaluate(() => document.querySelector("#dose-trace-scan-video")?.srcObject ?? null)) === null);
    await page.screenshot({ path: join(artefacts, "immunization-camera-scan.png") });
    await context.close();
  } finally {
    await browser.close().catch(() => {});
  }
}
