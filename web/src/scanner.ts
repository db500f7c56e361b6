// The barcode decoder of 扫码 (issue 17, 接种登记): a chunk of its own (static/scanner.js, an ES
// module) that the 接种日 page imports only when 扫码 is pressed, so the pages everyone loads stay
// small. It reads the 药品追溯码 symbologies, Code 128 and DataMatrix, with ZXing's TypeScript
// port (@zxing/library: no WebAssembly to serve, nothing fetched from elsewhere), from a camera
// frame or a photo drawn on a canvas.

// The modules themselves, not the package's index: the index pulls in every symbology and the
// writers (450 KB minified); these are the two readers and what they need.
import BarcodeFormat from "@zxing/library/esm/core/BarcodeFormat";
import BinaryBitmap from "@zxing/library/esm/core/BinaryBitmap";
import DecodeHintType from "@zxing/library/esm/core/DecodeHintType";
import RGBLuminanceSource from "@zxing/library/esm/core/RGBLuminanceSource";
import HybridBinarizer from "@zxing/library/esm/core/common/HybridBinarizer";
import DataMatrixReader from "@zxing/library/esm/core/datamatrix/DataMatrixReader";
import Code128Reader from "@zxing/library/esm/core/oned/Code128Reader";
import type Reader from "@zxing/library/esm/core/Reader";

const HINTS = new Map<DecodeHintType, unknown>([
  [DecodeHintType.POSSIBLE_FORMATS, [BarcodeFormat.CODE_128, BarcodeFormat.DATA_MATRIX]],
  [DecodeHintType.TRY_HARDER, true],
]);
const READERS: Reader[] = [new Code128Reader(), new DataMatrixReader()];

// Gray levels (0–255) of an RGBA image, rotated a quarter turn when `turn` (a box held upright
// puts a Code 128's bars across the rows ZXing's 1D reader scans).
function luminance(img: ImageData, turn: boolean): { gray: Uint8ClampedArray; width: number; height: number } {
  const { width, height, data } = img;
  const gray = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const g = (data[i] * 299 + data[i + 1] * 587 + data[i + 2] * 114) / 1000;
      gray[turn ? x * height + (height - 1 - y) : y * width + x] = g;
    }
  return turn ? { gray, width: height, height: width } : { gray, width, height };
}

function decodeGray(gray: Uint8ClampedArray, width: number, height: number): string | null {
  const bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(gray, width, height)));
  for (const reader of READERS) {
    try {
      return reader.decode(bitmap, HINTS).getText();
    } catch {
      // NotFound / Checksum / Format: try the next symbology
    } finally {
      reader.reset();
    }
  }
  return null;
}

// The text of the first Code 128 or DataMatrix symbol found in `img`, as it lies or turned a
// quarter, or null.
export function decodeImageData(img: ImageData): string | null {
  for (const turn of [false, true]) {
    const { gray, width, height } = luminance(img, turn);
    const text = decodeGray(gray, width, height);
    if (text !== null) return text;
  }
  return null;
}

// Draws `source` (a video frame, an image) on a canvas at most `maxSide` pixels on its longer side
// and decodes it. A phone's photo (4000 × 3000) is read at that size first, then at full size.
export function decodeDrawable(source: CanvasImageSource, width: number, height: number, maxSide = 1600): string | null {
  const scales = [Math.min(1, maxSide / Math.max(width, height))];
  if (scales[0] < 1) scales.push(1);
  for (const scale of scales) {
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) return null;
    ctx.drawImage(source, 0, 0, w, h);
    const text = decodeImageData(ctx.getImageData(0, 0, w, h));
    if (text !== null) return text;
  }
  return null;
}

// Decodes a photo the user took or chose (<input type=file capture>).
export async function decodeFile(file: Blob): Promise<string | null> {
  const bitmap = await createImageBitmap(file);
  try {
    return decodeDrawable(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}
