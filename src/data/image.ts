/**
 * The image types of the data pipeline and a few whole-image helpers.
 *
 * Layout everywhere: row-major, interleaved RGB (HWC), 3 channels, no padding — the layout of
 * one NHWC batch element.
 */

/** A decoded 8-bit RGB image: `data[(y * width + x) * 3 + c]`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An RGB image in float32 (e.g. one element of an output batch). */
export interface FloatRgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

type AnyImage = RgbImage | FloatRgbImage;

function alloc<T extends AnyImage>(like: T, n: number): T['data'] {
  return (like.data instanceof Float32Array ? new Float32Array(n) : new Uint8Array(n)) as T['data'];
}

/** Copies the `width`×`height` window whose top-left corner is (x, y). */
export function cropImage<T extends AnyImage>(img: T, x: number, y: number, width: number, height: number): T {
  if (x < 0 || y < 0 || x + width > img.width || y + height > img.height || width < 1 || height < 1) {
    throw new RangeError(
      `cropImage: window ${width}x${height} at (${x}, ${y}) does not fit in a ${img.width}x${img.height} image`,
    );
  }
  const out = alloc(img, width * height * 3);
  for (let r = 0; r < height; r++) {
    const s = ((y + r) * img.width + x) * 3;
    out.set(img.data.subarray(s, s + width * 3), r * width * 3);
  }
  return { width, height, data: out } as T;
}

/** Mirror image (left ↔ right). */
export function flipHorizontal<T extends AnyImage>(img: T): T {
  const { width: w, height: h } = img;
  const out = alloc(img, w * h * 3);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const s = (r * w + c) * 3;
      const d = (r * w + (w - 1 - c)) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  }
  return { width: w, height: h, data: out } as T;
}

/**
 * The AlexNet paper's test-time crops: the four corner crops and the centre crop, then the
 * horizontal mirrors of those five, in this order:
 * `[top-left, top-right, bottom-left, bottom-right, centre, mirror(top-left), …, mirror(centre)]`.
 * The centre crop's corner is at (floor((W−s)/2), floor((H−s)/2)). Predictions on the ten are
 * averaged. `cropSize` is a side length or `[height, width]`.
 */
export function tenCrops<T extends AnyImage>(img: T, cropSize: number | [number, number]): T[] {
  const [ch, cw] = typeof cropSize === 'number' ? [cropSize, cropSize] : cropSize;
  const origins = tenCropOrigins(img.height, img.width, ch, cw);
  const five = origins.map(([y, x]) => cropImage(img, x, y, cw, ch));
  return [...five, ...five.map((c) => flipHorizontal(c))];
}

/** Top-left corners `[y, x]` of the five crops of {@link tenCrops} (corners, then centre). */
export function tenCropOrigins(h: number, w: number, ch: number, cw: number): [number, number][] {
  if (ch > h || cw > w || ch < 1 || cw < 1) {
    throw new RangeError(`tenCrops: crop ${ch}x${cw} (h×w) does not fit in a ${h}x${w} image`);
  }
  return [
    [0, 0],
    [0, w - cw],
    [h - ch, 0],
    [h - ch, w - cw],
    [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2)],
  ];
}
