/**
 * Photo bytes → model input in the browser, with the same functions `npm run predict` uses
 * so that the page's pixels equal Node's exactly:
 *
 * - JPEG: src/data/decode.ts's decodeJpeg (jpeg-js, pure JS, EXIF orientation applied), the
 *   very decoder Node runs; the browser's own JPEG decoder (libjpeg-turbo) rounds its IDCT
 *   and chroma upsampling differently and would shift pixels by a few levels.
 * - PNG: pngjs needs Node's zlib and streams, so PNGs are decoded by the browser
 *   (createImageBitmap with no colour-space conversion and no premultiplication) and read back
 *   through WebGPU (copyExternalImageToTexture into an rgba8unorm texture, unpremultiplied,
 *   then copyTextureToBuffer), alpha dropped as in Node. This is exact — the same pixels as
 *   pngjs — for every 1/2/4/8-bit PNG, alpha and palette tRNS included (checked by
 *   test/web/page.test.ts). 16-bit PNGs differ by at most 1 level in some samples: Chromium
 *   reduces them to 8 bits itself (truncating; pngjs rounds v/257), before any API sees them.
 *   Without a device (or for images beyond its maximum texture size) it falls back to an
 *   OffscreenCanvas + getImageData, which is exact only for opaque PNGs: a 2D canvas stores
 *   premultiplied colour, so semi-transparent pixels round and transparent ones turn black.
 *   gAMA/iCCP chunks are ignored, as pngjs ignores them.
 * - Resizing, cropping and rescaling: src/data/preprocess.ts's inputsFor (src/data/resize.ts's
 *   PIL-exact nearest/bilinear), bundled as is.
 */
import { checkDeclaredSize, decodeImage, decodeJpeg, ImageDecodeError, sniffImageFormat } from '../../src/data/decode.js';
import type { RgbImage } from '../../src/data/image.js';
import type { Preprocessing } from '../../src/nn/manifest.js';
import { inputsFor } from '../../src/data/preprocess.js';

export { inputsFor };

/** RGBA (as getImageData returns it) → RGB, alpha dropped (not composited), like Node's decodePng. */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]!;
    data[j + 1] = rgba[i + 1]!;
    data[j + 2] = rgba[i + 2]!;
  }
  return { width, height, data };
}

/** Unpremultiplied RGBA of a bitmap through a WebGPU texture (exact 8-bit values). */
async function readBitmapWithWebGpu(device: GPUDevice, bitmap: ImageBitmap): Promise<RgbImage> {
  const { width, height } = bitmap;
  const texture = device.createTexture({
    size: [width, height],
    format: 'rgba8unorm',
    usage: GPUTextureUsage.COPY_DST | GPUTextureUsage.COPY_SRC | GPUTextureUsage.RENDER_ATTACHMENT,
  });
  const bytesPerRow = Math.ceil((width * 4) / 256) * 256;
  const buffer = device.createBuffer({ size: bytesPerRow * height, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  try {
    device.queue.copyExternalImageToTexture({ source: bitmap }, { texture, premultipliedAlpha: false }, [width, height]);
    const enc = device.createCommandEncoder();
    enc.copyTextureToBuffer({ texture }, { buffer, bytesPerRow }, [width, height]);
    device.queue.submit([enc.finish()]);
    await buffer.mapAsync(GPUMapMode.READ);
    const src = new Uint8Array(buffer.getMappedRange());
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const row = src.subarray(y * bytesPerRow, y * bytesPerRow + width * 4);
      data.set(rgbaToRgb(row, width, 1).data, y * width * 3);
    }
    buffer.unmap();
    return { width, height, data };
  } finally {
    buffer.destroy();
    texture.destroy();
  }
}

/** RGBA through a 2D canvas: exact for opaque pixels only (the canvas premultiplies alpha). */
function readBitmapWithCanvas(bitmap: ImageBitmap): RgbImage {
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (!g) throw new ImageDecodeError('this browser has no 2D canvas to decode PNGs with');
  g.drawImage(bitmap, 0, 0);
  const px = g.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return rgbaToRgb(px.data, width, height);
}

async function decodePngInBrowser(bytes: Uint8Array, device?: GPUDevice): Promise<RgbImage> {
  checkDeclaredSize(bytes); // a decompression bomb is refused before the browser allocates it
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart], { type: 'image/png' }), {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (e) {
    throw new ImageDecodeError(`corrupt or truncated PNG (${(e as Error).message})`);
  }
  try {
    const max = device?.limits.maxTextureDimension2D ?? 0;
    if (device && bitmap.width <= max && bitmap.height <= max) return await readBitmapWithWebGpu(device, bitmap);
    return readBitmapWithCanvas(bitmap);
  } finally {
    bitmap.close();
  }
}

/**
 * Decodes JPEG or PNG bytes (recognised by their magic numbers, as in Node) to RGB. Pass the
 * page's GPU device for exact PNG pixels (see above).
 */
export async function decodePhoto(bytes: Uint8Array, device?: GPUDevice): Promise<RgbImage> {
  const format = sniffImageFormat(bytes);
  if (format === 'jpeg') return decodeJpeg(bytes);
  if (format === 'png') return decodePngInBrowser(bytes, device);
  // Node's decoder words the error (GIF, WebP, …): it throws for anything not JPEG/PNG.
  return decodeImage(bytes);
}

/** The model's input views for one photo (one, or ten with `tenCrop`), as predict makes them. */
export function photoInputs(img: RgbImage, p: Preprocessing, tenCrop: boolean): Float32Array[] {
  return inputsFor(img, p, tenCrop);
}
