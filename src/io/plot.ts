/**
 * A small line-chart renderer that produces PNG images (training curves, benchmark plots).
 *
 * Rasterization is pure TypeScript (antialiased strokes via distance-to-segment coverage, a
 * built-in bitmap font from ./font.ts, drawn through ./raster.ts); only the final PNG encoding
 * uses pngjs.
 *
 *   renderLineChart({ title, xLabel, yLabel, series: [{ name, x, y }], markers: [{ x, label }] })
 *     -> Uint8Array PNG bytes
 *   plotTrainingHistory(history) -> { accuracyPng, lossPng }
 */
import { GLYPH_ROWS } from './font.js';
import { type Rect, type Rgb, type RgbaImage, Raster, TEXT, capHeight, drawText, drawTextVertical, encodePng, measure } from './raster.js';

export { encodePng, type Rgb, type RgbaImage } from './raster.js';
export { formatLr, formatTick, niceTicks } from './chart-ticks.js';
export { lrChangeMarkers, plotTrainingHistory, type TrainingHistory } from './training-plot.js';
import { formatTick, niceTicks } from './chart-ticks.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export type ColorSpec = string | Rgb;
export type MarkerShape = 'circle' | 'square' | 'diamond' | 'triangle' | 'none';

export interface LineSeries {
  name: string;
  x: readonly number[];
  /** Non-finite values (NaN, ±Infinity) break the line instead of being drawn. */
  y: readonly number[];
  /** '#rrggbb' or [r, g, b]; defaults cycle through a colour-blind-friendly palette. */
  color?: ColorSpec;
  /** Point marker; defaults cycle circle, square, diamond, triangle. Hidden when points are crowded. */
  marker?: MarkerShape;
  dashed?: boolean;
  /** Stroke width in pixels (default 2.5). */
  lineWidth?: number;
}

export interface ChartMarker {
  /** Data x at which a vertical dashed line is drawn. */
  x: number;
  label?: string;
  color?: ColorSpec;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly LineSeries[];
  markers?: readonly ChartMarker[];
  width?: number;
  height?: number;
  /** Fixed y-axis limits; otherwise the data range plus 5% padding. */
  yRange?: readonly [number, number];
  /** Fixed x-axis limits; otherwise the data range plus 4% padding. */
  xRange?: readonly [number, number];
  /** Text scale factor (integer, default 2: a 10×14 px cap height). */
  fontScale?: number;
}

// ---------------------------------------------------------------------------------------------
// Ticks and number formatting
// ---------------------------------------------------------------------------------------------

export const PALETTE: Rgb[] = [
  [31, 119, 180], // blue
  [255, 127, 14], // orange
  [44, 160, 44], // green
  [214, 39, 40], // red
  [148, 103, 189], // purple
  [140, 86, 75], // brown
];
const MARKER_CYCLE: MarkerShape[] = ['circle', 'square', 'diamond', 'triangle'];

const AXIS: Rgb = [85, 85, 85];
const GRID: Rgb = [229, 229, 229];
const MARKER_LINE: Rgb = [150, 150, 150];
const MARKER_TEXT: Rgb = [90, 90, 90];
const WHITE: Rgb = [255, 255, 255];

export function parseColor(c: ColorSpec): Rgb {
  if (typeof c !== 'string') return c;
  const m = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(c.trim());
  if (!m) throw new Error(`plot: cannot parse colour ${JSON.stringify(c)} (use #rrggbb)`);
  let hex = m[1]!;
  if (hex.length === 3) hex = hex.replace(/./g, (ch) => ch + ch);
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
}

// ---------------------------------------------------------------------------------------------
// Strokes and markers (coverage buffers composited onto the raster of ./raster.ts)
// ---------------------------------------------------------------------------------------------

/** Accumulate (max) stroke coverage of the segment (x0,y0)-(x1,y1) with half-width hw. */
function strokeSegment(cov: Float32Array, W: number, clip: Rect, x0: number, y0: number, x1: number, y1: number, hw: number): void {
  const pad = hw + 1.5;
  const minX = Math.max(clip.x0, Math.floor(Math.min(x0, x1) - pad));
  const maxX = Math.min(clip.x1 - 1, Math.ceil(Math.max(x0, x1) + pad));
  const minY = Math.max(clip.y0, Math.floor(Math.min(y0, y1) - pad));
  const maxY = Math.min(clip.y1 - 1, Math.ceil(Math.max(y0, y1) + pad));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  for (let py = minY; py <= maxY; py++) {
    const cy = py + 0.5;
    for (let px = minX; px <= maxX; px++) {
      const cx = px + 0.5;
      let t = len2 > 0 ? ((cx - x0) * dx + (cy - y0) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = x0 + t * dx - cx;
      const ey = y0 + t * dy - cy;
      const d = Math.sqrt(ex * ex + ey * ey);
      const a = Math.min(1, Math.max(0, hw + 0.5 - d));
      const i = py * W + px;
      if (a > cov[i]!) cov[i] = a;
    }
  }
}

/** Accumulate (max) coverage of a filled marker shape of radius r centred at (cx, cy). */
function stampMarker(cov: Float32Array, W: number, clip: Rect, shape: MarkerShape, cx: number, cy: number, r: number): void {
  if (shape === 'none') return;
  const minX = Math.max(clip.x0, Math.floor(cx - r - 2));
  const maxX = Math.min(clip.x1 - 1, Math.ceil(cx + r + 2));
  const minY = Math.max(clip.y0, Math.floor(cy - r - 2));
  const maxY = Math.min(clip.y1 - 1, Math.ceil(cy + r + 2));
  for (let py = minY; py <= maxY; py++) {
    for (let px = minX; px <= maxX; px++) {
      const dx = px + 0.5 - cx;
      const dy = py + 0.5 - cy;
      let d: number; // signed distance (approximate for polygons), negative inside
      switch (shape) {
        case 'circle':
          d = Math.sqrt(dx * dx + dy * dy) - r;
          break;
        case 'square':
          d = Math.max(Math.abs(dx), Math.abs(dy)) - r * 0.85;
          break;
        case 'diamond':
          d = (Math.abs(dx) + Math.abs(dy)) * Math.SQRT1_2 - r * 0.85;
          break;
        case 'triangle': {
          const R = r * 1.25;
          const c = 0.8660254;
          d = Math.max(dy, -c * dx - 0.5 * dy, c * dx - 0.5 * dy) - R * 0.5;
          break;
        }
      }
      const a = Math.min(1, Math.max(0, 0.5 - d));
      const i = py * W + px;
      if (a > cov[i]!) cov[i] = a;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Chart
// ---------------------------------------------------------------------------------------------

function finiteRange(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

function padRange(range: [number, number] | null, frac: number): [number, number] {
  if (!range) return [0, 1];
  let [lo, hi] = range;
  if (lo === hi) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 0.5;
    return [lo - d, hi + d];
  }
  const p = (hi - lo) * frac;
  lo -= p;
  hi += p;
  return [lo, hi];
}

function intersects(a: Rect, b: Rect): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** Rasterize a line chart into an RGBA image (no PNG encoding). */
export function renderLineChartRGBA(opts: LineChartOptions): RgbaImage {
  const W = Math.round(opts.width ?? 800);
  const H = Math.round(opts.height ?? 500);
  if (!(W >= 50 && H >= 50)) throw new Error(`plot: image size ${W}×${H} is too small`);
  const scale = Math.max(1, Math.round(opts.fontScale ?? 2));
  const lineH = GLYPH_ROWS * scale;
  const cap = capHeight(scale);
  const r = new Raster(W, H);

  const series = opts.series.map((s, i) => {
    if (s.x.length !== s.y.length) {
      throw new Error(`plot: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`);
    }
    return {
      ...s,
      rgb: s.color !== undefined ? parseColor(s.color) : PALETTE[i % PALETTE.length]!,
      shape: s.marker ?? MARKER_CYCLE[i % MARKER_CYCLE.length]!,
      hw: (s.lineWidth ?? 2.5) / 2,
    };
  });
  const markers = (opts.markers ?? []).filter((m) => Number.isFinite(m.x));

  // --- data ranges
  const allX: number[] = [];
  const allY: number[] = [];
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) {
        allX.push(s.x[i]!);
        allY.push(s.y[i]!);
      }
    }
  }
  const [xMin, xMax] = opts.xRange ? [opts.xRange[0], opts.xRange[1]] : padRange(finiteRange([...allX, ...markers.map((m) => m.x)]), 0.04);
  const [yMin, yMax] = opts.yRange ? [opts.yRange[0], opts.yRange[1]] : padRange(finiteRange(allY), 0.05);
  if (!(xMax > xMin) || !(yMax > yMin)) throw new Error(`plot: empty axis range x=[${xMin}, ${xMax}] y=[${yMin}, ${yMax}]`);
  const integerX = allX.length > 0 && allX.every((v) => Number.isInteger(v));

  // --- vertical layout
  const tickLen = 5;
  const top = opts.title ? 16 + lineH + 14 : 20;
  const bottom = tickLen + 7 + cap + (opts.xLabel ? 14 + lineH : 0) + 14;
  const plotH = H - top - bottom;
  if (plotH < 20) throw new Error(`plot: height ${H} leaves no room for the plot area`);
  const yT = niceTicks(yMin, yMax, Math.max(3, Math.min(10, Math.floor(plotH / 45) + 1)));
  const yLabels = yT.ticks.map((v) => formatTick(v, yT.step));
  const yLabelW = Math.max(0, ...yLabels.map((s) => measure(s, scale)));

  // --- horizontal layout
  const left = 12 + (opts.yLabel ? cap + 14 : 0) + yLabelW + 7 + tickLen;
  const right = 24;
  const plotW = W - left - right;
  if (plotW < 20) throw new Error(`plot: width ${W} leaves no room for the plot area`);
  // Make sure x tick labels do not collide: allow roughly one label per 80-ish px.
  const xT = niceTicks(xMin, xMax, Math.max(2, Math.floor(plotW / 75)), integerX ? 1 : 0);
  const xLabels = xT.ticks.map((v) => formatTick(v, xT.step));

  // Plot rectangle: frame on columns left and left+plotW, rows top and top+plotH.
  const px = (x: number): number => left + 0.5 + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number): number => top + 0.5 + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const inner: Rect = { x0: left + 1, y0: top + 1, x1: left + plotW, y1: top + plotH };

  // --- gridlines
  for (const v of yT.ticks) {
    const yy = Math.floor(py(v));
    if (yy > top && yy < top + plotH) r.fillRect(left + 1, yy, plotW - 1, 1, GRID);
  }
  for (const v of xT.ticks) {
    const xx = Math.floor(px(v));
    if (xx > left && xx < left + plotW) r.fillRect(xx, top + 1, 1, plotH - 1, GRID);
  }

  // --- vertical markers (dashed), labels placed later on top of the data
  const labelBoxes: { rect: Rect; text: string; color: Rgb }[] = [];
  const pendingLabels: { xx: number; text: string; color: Rgb }[] = [];
  const sortedMarkers = [...markers].sort((a, b) => a.x - b.x);
  for (const m of sortedMarkers) {
    const c = m.color !== undefined ? parseColor(m.color) : MARKER_LINE;
    const xx = Math.floor(px(m.x));
    if (xx <= left || xx >= left + plotW) continue;
    for (let yy = top + 1; yy < top + plotH; yy++) if ((yy - top) % 10 < 6) r.blend(xx, yy, c, 1);
    if (m.label) pendingLabels.push({ xx, text: m.label, color: m.color !== undefined ? parseColor(m.color) : MARKER_TEXT });
  }

  // --- series
  const cov = new Float32Array(W * H);
  const samplePts: [number, number][] = []; // pixel positions along every line, for legend placement
  for (const s of series) {
    cov.fill(0);
    const pts: ([number, number] | null)[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      pts.push(Number.isFinite(x) && Number.isFinite(y) ? [px(x), py(y)] : null);
    }
    // lines (broken at missing points)
    let dashPhase = 0;
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1];
      const b = pts[i];
      if (!a || !b) continue;
      const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
      for (let t = 0; t <= len; t += 3) samplePts.push([a[0] + ((b[0] - a[0]) * t) / (len || 1), a[1] + ((b[1] - a[1]) * t) / (len || 1)]);
      if (!s.dashed) {
        strokeSegment(cov, W, inner, a[0], a[1], b[0], b[1], s.hw);
      } else {
        const on = 8;
        const period = 13;
        let pos = 0;
        while (pos < len) {
          const phase = (dashPhase + pos) % period;
          if (phase < on) {
            const end = Math.min(len, pos + (on - phase));
            const t0 = pos / len;
            const t1 = end / len;
            strokeSegment(cov, W, inner, a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0, a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1, s.hw);
            pos = end;
          } else {
            pos += period - phase;
          }
        }
        dashPhase = (dashPhase + len) % period;
      }
    }
    // point markers, unless points are too crowded to tell apart
    const valid = pts.filter((p): p is [number, number] => p !== null);
    let minGap = Infinity;
    for (let i = 1; i < valid.length; i++) minGap = Math.min(minGap, Math.abs(valid[i]![0] - valid[i - 1]![0]));
    const markerR = Math.max(3, s.hw + 2.1);
    if (s.shape !== 'none' && (valid.length < 2 || minGap >= markerR * 2.6)) {
      for (const p of valid) stampMarker(cov, W, inner, s.shape, p[0], p[1], markerR);
    }
    for (const p of valid) samplePts.push(p);
    r.composite(cov, s.rgb, inner);
  }

  // --- marker label placement: beside its line, at the top or bottom of the plot, wherever it
  // hides the fewest data points and does not collide with another label.
  for (const l of pendingLabels) {
    const bw = measure(l.text, scale) + 8;
    const bh = cap + 8;
    const sides: [number, number][] = [];
    if (l.xx + 5 + bw <= left + plotW - 3) sides.push([l.xx + 5, 0]);
    if (l.xx - 5 - bw >= left + 3) sides.push([l.xx - 5 - bw, 0.5]);
    if (sides.length === 0) sides.push([Math.max(left + 3, left + plotW - 3 - bw), 0.5]);
    const maxLevel = Math.max(1, Math.floor(plotH / 2 / (bh + 4)));
    let best: Rect | null = null;
    let bestScore = Infinity;
    for (let level = 0; level < maxLevel; level++) {
      for (const fromTop of [true, false]) {
        for (const [bx, sidePenalty] of sides) {
          const by = fromTop ? top + 6 + level * (bh + 4) : top + plotH - 6 - bh - level * (bh + 4);
          const rect: Rect = { x0: bx, y0: by, x1: bx + bw, y1: by + bh };
          let score = sidePenalty + level * 0.25;
          for (const b of labelBoxes) if (intersects(b.rect, rect)) score += 1000;
          for (const [sx, sy] of samplePts) if (sx >= rect.x0 - 3 && sx < rect.x1 + 3 && sy >= rect.y0 - 3 && sy < rect.y1 + 3) score += 1;
          if (score < bestScore) {
            bestScore = score;
            best = rect;
          }
        }
      }
    }
    labelBoxes.push({ rect: best!, text: l.text, color: l.color });
  }

  // --- frame and ticks
  r.strokeRect(left, top, plotW + 1, plotH + 1, AXIS);
  for (let i = 0; i < yT.ticks.length; i++) {
    const yy = Math.floor(py(yT.ticks[i]!));
    if (yy < top - 1 || yy > top + plotH + 1) continue;
    r.fillRect(left - tickLen, yy, tickLen, 1, AXIS);
    drawText(r, yLabels[i]!, left - tickLen - 7, yy + 0.5, { scale, align: 'right', valign: 'middle' });
  }
  for (let i = 0; i < xT.ticks.length; i++) {
    const xx = Math.floor(px(xT.ticks[i]!));
    if (xx < left - 1 || xx > left + plotW + 1) continue;
    r.fillRect(xx, top + plotH + 1, 1, tickLen, AXIS);
    drawText(r, xLabels[i]!, xx + 0.5, top + plotH + 1 + tickLen + 7, { scale, align: 'center', valign: 'top' });
  }

  // --- marker labels
  for (const b of labelBoxes) {
    r.fillRect(b.rect.x0, b.rect.y0, b.rect.x1 - b.rect.x0, b.rect.y1 - b.rect.y0, WHITE, 0.88);
    drawText(r, b.text, b.rect.x0 + 4, b.rect.y0 + 4, { scale, color: b.color });
  }

  // --- legend
  const named = series.filter((s) => s.name);
  if (named.length > 0) {
    const sampleW = 30;
    const rowH = Math.max(cap + 10, 20);
    const pad = 9;
    const bw = pad * 2 + sampleW + 8 + Math.max(...named.map((s) => measure(s.name, scale)));
    const bh = pad * 2 + rowH * named.length - (rowH - cap - 2);
    const inset = 10;
    const candidates: [number, number][] = [
      [left + plotW - inset - bw, top + inset], // top right
      [left + plotW - inset - bw, top + plotH - inset - bh], // bottom right
      [left + inset, top + inset], // top left
      [left + inset, top + plotH - inset - bh], // bottom left
      [left + plotW - inset - bw, Math.round(top + (plotH - bh) / 2)], // middle right
      [Math.round(left + (plotW - bw) / 2), top + inset], // top centre
      [Math.round(left + (plotW - bw) / 2), top + plotH - inset - bh], // bottom centre
    ];
    let best = candidates[0]!;
    let bestScore = Infinity;
    for (const [cx, cy] of candidates) {
      const rect: Rect = { x0: cx - 4, y0: cy - 4, x1: cx + bw + 4, y1: cy + bh + 4 };
      let score = 0;
      for (const [sx, sy] of samplePts) if (sx >= rect.x0 && sx < rect.x1 && sy >= rect.y0 && sy < rect.y1) score++;
      for (const b of labelBoxes) if (intersects(b.rect, rect)) score += 1000;
      if (score < bestScore) {
        bestScore = score;
        best = [cx, cy];
      }
    }
    const [lx, ly] = best;
    r.fillRect(lx, ly, bw, bh, WHITE, 0.9);
    r.strokeRect(lx, ly, bw, bh, [200, 200, 200]);
    cov.fill(0);
    const legendClip: Rect = { x0: lx + 1, y0: ly + 1, x1: lx + bw - 1, y1: ly + bh - 1 };
    named.forEach((s, i) => {
      const cy = ly + pad + i * rowH + cap / 2;
      const x0 = lx + pad;
      cov.fill(0);
      strokeSegment(cov, W, legendClip, x0 + 1, cy, x0 + sampleW - 1, cy, s.hw);
      stampMarker(cov, W, legendClip, s.shape, x0 + sampleW / 2, cy, Math.max(3, s.hw + 2.1));
      r.composite(cov, s.rgb, legendClip);
      drawText(r, s.name, x0 + sampleW + 8, cy, { scale, valign: 'middle' });
    });
  }

  // --- title and axis labels
  if (opts.title) {
    drawText(r, opts.title, left + plotW / 2, 16, { scale, align: 'center', bold: true });
  }
  if (opts.xLabel) {
    drawText(r, opts.xLabel, left + plotW / 2, top + plotH + 1 + tickLen + 7 + cap + 14, { scale, align: 'center' });
  }
  if (opts.yLabel) {
    drawTextVertical(r, opts.yLabel, 12 + cap / 2, top + plotH / 2, scale);
  }

  return { width: W, height: H, data: r.data };
}

/** Render a line chart to PNG bytes. */
export function renderLineChart(opts: LineChartOptions): Uint8Array {
  return encodePng(renderLineChartRGBA(opts));
}

// ---------------------------------------------------------------------------------------------
// Training history
// ---------------------------------------------------------------------------------------------
