/**
 * A confusion matrix as a PNG: one square cell per (true class, predicted class), shaded from
 * white (no images) to dark blue (the largest count), with the count and its share of the
 * row (the recall, on the diagonal) written in it; true classes down the left, predicted
 * classes along the bottom, as scikit-learn's ConfusionMatrixDisplay lays it out.
 * Drawn with the chart primitives of ./raster.ts.
 */
import { GLYPH_ROWS } from './font.js';
import { type Rgb, type RgbaImage, Raster, TEXT, capHeight, drawText, drawTextVertical, encodePng, measure } from './raster.js';

export interface ConfusionPlotOptions {
  /** m[t][p]: images of true class t predicted as p. */
  confusion: readonly (readonly number[])[];
  classNames: readonly string[];
  title?: string;
  /** A second line under the title (e.g. the accuracy). */
  subtitle?: string;
  /** Text scale (integer, default 2). */
  fontScale?: number;
}

/** Cell colour for a count that is `t` of the largest (0..1): white to matplotlib's darkest "Blues". */
export const CELL_LOW: Rgb = [247, 251, 255];
export const CELL_HIGH: Rgb = [8, 48, 107];

export function cellColor(t: number): Rgb {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return [0, 1, 2].map((i) => Math.round(CELL_LOW[i]! + (CELL_HIGH[i]! - CELL_LOW[i]!) * u)) as unknown as Rgb;
}

/** Where everything sits, so tests (and callers) can find a cell. */
export interface ConfusionLayout {
  width: number;
  height: number;
  /** Top-left corner of the grid and the side of one cell, in pixels. */
  left: number;
  top: number;
  cell: number;
}

export function confusionLayout(o: ConfusionPlotOptions): ConfusionLayout {
  const scale = o.fontScale ?? 2;
  const C = o.classNames.length;
  const lineH = GLYPH_ROWS * scale;
  const counts = o.confusion.flat().map((v) => measure(String(v), scale));
  const names = o.classNames.map((n) => measure(n, scale));
  const cell = Math.max(64, ...names.map((w) => w + 16), ...counts.map((w) => w + 16), measure('100.0%', scale) + 16);
  const titleH = 16 + lineH + (o.subtitle ? lineH + 4 : 0) + 16;
  const left = 16 + lineH + 12 + Math.max(...names) + 12; // axis label, gap, class names, gap
  const gridW = cell * C;
  const width = Math.max(left + gridW + 24, measure(o.title ?? 'Confusion matrix', scale) + 32, o.subtitle ? measure(o.subtitle, scale) + 32 : 0);
  const height = titleH + gridW + 12 + lineH + 12 + lineH + 16; // names, gap, axis label
  return { width, height, left, top: titleH, cell };
}

export function renderConfusionMatrixRGBA(o: ConfusionPlotOptions): RgbaImage {
  const C = o.classNames.length;
  if (C === 0 || o.confusion.length !== C || o.confusion.some((r) => r.length !== C)) {
    throw new Error(`confusion plot: expected a ${C}×${C} matrix for ${C} class names`);
  }
  const scale = o.fontScale ?? 2;
  const cap = capHeight(scale);
  const lineH = GLYPH_ROWS * scale;
  const L = confusionLayout(o);
  const r = new Raster(L.width, L.height);
  const max = Math.max(1, ...o.confusion.flat());
  const title = o.title ?? 'Confusion matrix';
  drawText(r, title, L.width / 2, 16, { scale, align: 'center', bold: true });
  if (o.subtitle) drawText(r, o.subtitle, L.width / 2, 16 + lineH + 4, { scale, align: 'center' });

  for (let t = 0; t < C; t++) {
    const rowSum = o.confusion[t]!.reduce((a, b) => a + b, 0);
    for (let p = 0; p < C; p++) {
      const v = o.confusion[t]![p]!;
      const x = L.left + p * L.cell;
      const y = L.top + t * L.cell;
      const u = v / max;
      r.fillRect(x, y, L.cell, L.cell, cellColor(u));
      // Light text on dark cells, as matplotlib's display switches at half the colour range.
      const ink: Rgb = u > 0.5 ? [255, 255, 255] : TEXT;
      const share = rowSum > 0 ? `${((100 * v) / rowSum).toFixed(1)}%` : '';
      const cx = x + L.cell / 2;
      const cy = y + L.cell / 2;
      drawText(r, String(v), cx, share ? cy - 4 : cy, { scale, align: 'center', valign: share ? 'bottom' : 'middle', color: ink, bold: true });
      if (share) drawText(r, share, cx, cy + 4, { scale, align: 'center', valign: 'top', color: ink });
    }
  }
  r.strokeRect(L.left, L.top, L.cell * C + 1, L.cell * C + 1, [85, 85, 85]);

  const names = o.classNames;
  names.forEach((n, i) => {
    drawText(r, n, L.left - 12, L.top + i * L.cell + L.cell / 2, { scale, align: 'right', valign: 'middle' });
    drawText(r, n, L.left + i * L.cell + L.cell / 2, L.top + C * L.cell + 12, { scale, align: 'center' });
  });
  drawText(r, 'Predicted label', L.left + (C * L.cell) / 2, L.top + C * L.cell + 12 + lineH + 12, { scale, align: 'center' });
  drawTextVertical(r, 'True label', 16 + cap / 2, L.top + (C * L.cell) / 2, scale);
  return { width: L.width, height: L.height, data: r.data };
}

/** PNG bytes of the confusion matrix chart. */
export function renderConfusionMatrix(o: ConfusionPlotOptions): Uint8Array {
  return encodePng(renderConfusionMatrixRGBA(o));
}
