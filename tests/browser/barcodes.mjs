// Barcodes for the 扫码 checks (issue 17 item 9), drawn with bwip-js (a devDependency): a PNG as
// the phone's camera would save a photo of a vaccine box, and a Y4M video file for Chromium's
// fake camera (--use-file-for-fake-video-capture), the same Code 128 bars on a white frame.
import { writeFileSync } from "node:fs";
import bwipjs from "bwip-js";

// A PNG of `text` in `bcid` ("code128", "datamatrix", "ean13" …), quiet zone included.
export function barcodePng(bcid, text) {
  return bwipjs.toBuffer({ bcid, text, scale: 3, height: 14, paddingwidth: 12, paddingheight: 8, backgroundcolor: "FFFFFF" });
}

// A 640 × 480 Y4M file (a few identical frames, 4:2:0) showing the Code 128 of `text` in the
// middle, 3 pixels a module, for Chromium's fake camera.
export function code128Y4m(path, text) {
  const W = 640, H = 480, scale = 3;
  const sbs = bwipjs.raw("code128", text, "")[0].sbs;
  const modules = sbs.reduce((a, b) => a + b, 0);
  const y = Buffer.alloc(W * H, 235); // white (studio range)
  const left = Math.floor((W - modules * scale) / 2);
  if (left < 10) throw new Error("the barcode does not fit the frame");
  let x = left;
  sbs.forEach((n, i) => {
    if (i % 2 === 0)
      for (let row = 140; row < 340; row++) y.fill(16, row * W + x, row * W + x + n * scale);
    x += n * scale;
  });
  const chroma = Buffer.alloc((W / 2) * (H / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}
