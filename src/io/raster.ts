/**
 * Drawing primitives for the PNG charts (plot.ts, confusion-plot.ts): an RGB raster with
 * blending, text from the built-in bitmap font (./font.ts), and PNG encoding (pngjs).
 */
import pngjs from 'pngjs';
import { rasterizeText, textWidth } from './font.js';

const { PNG } = pngjs;

export type Rgb = readonly [number, number, number];

export interface RgbaImage {
  width: number;
  height: number;
  /** Row-major RGBA, 4 bytes per pixel. */
  data: Uint8Array;
}

/** Default text colour. */
export const TEXT: Rgb = [34, 34, 34];

export interface Rect {
  x0: number;
  y0: number;
  x1: number; // exclusive
  y1: number; // exclusive
}

export class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 4).fill(255);
  }

  blend(x: number, y: number, c: Rgb, a: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = (y * this.width + x) * 4;
    const d = this.data;
    if (a >= 1) {
      d[i] = c[0];
      d[i + 1] = c[1];
      d[i + 2] = c[2];
    } else {
      d[i] = Math.round(d[i]! + (c[0] - d[i]!) * a);
      d[i + 1] = Math.round(d[i + 1]! + (c[1] - d[i + 1]!) * a);
      d[i + 2] = Math.round(d[i + 2]! + (c[2] - d[i + 2]!) * a);
    }
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb, a = 1): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.blend(xx, yy, c, a);
  }

  strokeRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.fillRect(x, y, w, 1, c);
    this.fillRect(x, y + h - 1, w, 1, c);
    this.fillRect(x, y, 1, h, c);
    this.fillRect(x + w - 1, y, 1, h, c);
  }

  /** Blit a 0/1 text mask with its top-left at (x, y); `rotate` turns it 90° counter-clockwise. */
  blitMask(mask: Uint8Array, mw: number, mh: number, x: number, y: number, c: Rgb, rotate = false): void {
    for (let my = 0; my < mh; my++) {
      for (let mx = 0; mx < mw; mx++) {
        if (!mask[my * mw + mx]) continue;
        if (rotate) this.blend(x + my, y + (mw - 1 - mx), c, 1);
        else this.blend(x + mx, y + my, c, 1);
      }
    }
  }

  /** Paint colour c with per-pixel alpha from a coverage buffer, inside `clip`. */
  composite(cov: Float32Array, c: Rgb, clip: Rect): void {
    for (let y = clip.y0; y < clip.y1; y++) {
      const row = y * this.width;
      for (let x = clip.x0; x < clip.x1; x++) {
        const a = cov[row + x]!;
        if (a > 0) this.blend(x, y, c, a);
      }
    }
  }
}

export type HAlign = 'left' | 'center' | 'right';
export type VAlign = 'top' | 'middle' | 'bottom';

/** Cap height in output pixels (rows 0..6 of the glyph grid). */
export function capHeight(scale: number): number {
  return 7 * scale;
}

export function measure(text: string, scale: number): number {
  return textWidth(text) * scale;
}

/**
 * Draw a line of text. (x, y) is the anchor; vertical alignment refers to the cap height box
 * (so digits and capitals centre nicely), descenders hang below it.
 */
export function drawText(
  r: Raster,
  text: string,
  x: number,
  y: number,
  opts: { scale: number; color?: Rgb; align?: HAlign; valign?: VAlign; bold?: boolean },
): Rect {
  const { mask, width, height } = rasterizeText(text, opts.scale, opts.bold ?? false);
  const cap = capHeight(opts.scale);
  const left = Math.round(opts.align === 'center' ? x - width / 2 : opts.align === 'right' ? x - width : x);
  const top = Math.round(opts.valign === 'middle' ? y - cap / 2 : opts.valign === 'bottom' ? y - cap : y);
  r.blitMask(mask, width, height, left, top, opts.color ?? TEXT);
  return { x0: left, y0: top, x1: left + width, y1: top + height };
}

/** Text rotated 90° counter-clockwise (reads bottom to top), centred on (cx, cy). */
export function drawTextVertical(r: Raster, text: string, cx: number, cy: number, scale: number, color: Rgb = TEXT): void {
  const { mask, width, height } = rasterizeText(text, scale);
  const cap = capHeight(scale);
  // After rotation the cap box spans columns [left, left+cap) and rows [top, top+width).
  const left = Math.round(cx - cap / 2);
  const top = Math.round(cy - width / 2);
  r.blitMask(mask, width, height, left, top, color, true);
}

/** Encode an RGBA image as an 8-bit RGB PNG. */
export function encodePng(img: RgbaImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  // RGB output with the 'Up' filter: for charts it is both the smallest and the fastest choice.
  const buf = PNG.sync.write(png, { colorType: 2, inputHasAlpha: true, filterType: 2 });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
