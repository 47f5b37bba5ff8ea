import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { GLYPH_COLS, GLYPH_ROWS, glyph, hasGlyph, rasterizeText, textWidth } from '../../src/io/font.js';
import {
  formatLr,
  formatTick,
  lrChangeMarkers,
  niceTicks,
  plotTrainingHistory,
  renderLineChart,
  renderLineChartRGBA,
  type RgbaImage,
} from '../../src/io/plot.js';

const { PNG } = pngjs;

function decode(png: Uint8Array): RgbaImage {
  const img = PNG.sync.read(Buffer.from(png));
  return { width: img.width, height: img.height, data: new Uint8Array(img.data) };
}

/** Pixel positions whose colour is exactly rgb. */
function pixelsOf(img: RgbaImage, rgb: [number, number, number]): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 4;
      if (img.data[i] === rgb[0] && img.data[i + 1] === rgb[1] && img.data[i + 2] === rgb[2]) out.push({ x, y });
    }
  }
  return out;
}

const RED: [number, number, number] = [255, 0, 0];

describe('niceTicks', () => {
  it('picks 1-2-5 steps within the tick budget', () => {
    expect(niceTicks(0, 1, 6)).toEqual({ step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(0.3, 0.72, 6)).toEqual({ step: 0.1, ticks: [0.3, 0.4, 0.5, 0.6, 0.7] });
    expect(niceTicks(0, 100, 5)).toEqual({ step: 50, ticks: [0, 50, 100] });
    expect(niceTicks(-3.7, 12.2, 8)).toEqual({ step: 2, ticks: [-2, 0, 2, 4, 6, 8, 10, 12] });
    expect(niceTicks(1e-5, 1e-4, 5)).toEqual({ step: 2e-5, ticks: [2e-5, 4e-5, 6e-5, 8e-5, 1e-4] });
    expect(niceTicks(0.062, 0.848, 8)).toEqual({ step: 0.1, ticks: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] });
  });
  it('respects a minimum step (integer epochs) and degenerate ranges', () => {
    expect(niceTicks(0.5, 3.5, 10, 1)).toEqual({ step: 1, ticks: [1, 2, 3] });
    expect(niceTicks(0, 1.2, 10)).toEqual({ step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2] });
    expect(niceTicks(2, 2)).toEqual({ step: 0, ticks: [2] });
  });
  it('formats tick labels to the step precision', () => {
    expect(formatTick(0.05, 0.05)).toBe('0.05');
    expect(formatTick(0, 0.2)).toBe('0.0');
    expect(formatTick(-0.5, 0.5)).toBe('-0.5');
    expect(formatTick(10, 5)).toBe('10');
    expect(formatTick(5e-5, 1e-5)).toBe('5e-5');
    expect(formatTick(1.5e-4, 5e-5)).toBe('1.5e-4');
    expect(formatTick(2_000_000, 1_000_000)).toBe('2e6');
  });
  it('formats learning rates compactly, rounding float32 fuzz away', () => {
    expect(formatLr(1e-4)).toBe('1e-4');
    expect(formatLr(Math.fround(1e-4))).toBe('1e-4');
    expect(formatLr(5e-5)).toBe('5e-5');
    expect(formatLr(2.5e-5)).toBe('2.5e-5');
    expect(formatLr(0.01)).toBe('0.01');
    expect(formatLr(0.3)).toBe('0.3');
  });
});

describe('font', () => {
  it('has a distinct, well-formed glyph for every printable ASCII character', () => {
    const seen = new Map<string, string>();
    for (let c = 32; c <= 126; c++) {
      const ch = String.fromCharCode(c);
      expect(hasGlyph(ch), `glyph for ${JSON.stringify(ch)}`).toBe(true);
      const g = glyph(ch);
      expect(g.width).toBeLessThanOrEqual(GLYPH_COLS);
      expect(g.rows.length).toBe(GLYPH_ROWS);
      if (ch === ' ') {
        expect(g.width).toBe(0);
        continue;
      }
      expect(g.width).toBeGreaterThan(0);
      const key = `${g.width}:${Array.from(g.rows).join(',')}`;
      expect(seen.get(key), `${JSON.stringify(ch)} duplicates ${JSON.stringify(seen.get(key))}`).toBeUndefined();
      seen.set(key, ch);
    }
    expect(hasGlyph('\u2192')).toBe(true); // →
  });
  it('rasterizes text proportionally at integer scales', () => {
    // 'i' is 3 columns wide, 'W' 5: advance 3+1 and 5+1, no trailing spacing.
    expect(textWidth('iW')).toBe(3 + 1 + 5);
    const r = rasterizeText('H', 2);
    expect(r.width).toBe(10);
    expect(r.height).toBe(GLYPH_ROWS * 2);
    // 'H' row 3 is '#####' -> the whole output rows 6 and 7 are inked; row 0 only at both edges.
    expect(Array.from(r.mask.subarray(6 * 10, 7 * 10))).toEqual(new Array(10).fill(1));
    expect(Array.from(r.mask.subarray(0, 10))).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
  });
});

describe('renderLineChart', () => {
  it('produces a PNG of the requested size with the series colour where the series runs', () => {
    const png = renderLineChart({
      title: 'Flat line',
      xLabel: 'x',
      yLabel: 'y',
      width: 640,
      height: 360,
      xRange: [0, 10],
      yRange: [0, 1],
      series: [{ name: 'flat', x: [0, 5, 10], y: [0.75, 0.75, 0.75], color: '#ff0000', marker: 'none' }],
    });
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const img = decode(png);
    expect(img.width).toBe(640);
    expect(img.height).toBe(360);
    const red = pixelsOf(img, RED);
    expect(red.length).toBeGreaterThan(500);
    // The solid red stroke of the plot (ignore the legend sample, which is short) is one thin
    // horizontal band spanning most of the width.
    const rows = new Map<number, number>();
    for (const p of red) rows.set(p.y, (rows.get(p.y) ?? 0) + 1);
    const wideRows = [...rows.entries()].filter(([, n]) => n > 300).map(([y]) => y);
    expect(wideRows.length).toBeGreaterThanOrEqual(1);
    expect(wideRows.length).toBeLessThanOrEqual(3);
    const bandY = wideRows[0]!;

    // Same chart with the line at 0.25: the band must move down by about half the plot height.
    const img2 = decode(
      renderLineChart({
        title: 'Flat line',
        xLabel: 'x',
        yLabel: 'y',
        width: 640,
        height: 360,
        xRange: [0, 10],
        yRange: [0, 1],
        series: [{ name: 'flat', x: [0, 5, 10], y: [0.25, 0.25, 0.25], color: '#ff0000', marker: 'none' }],
      }),
    );
    const rows2 = new Map<number, number>();
    for (const p of pixelsOf(img2, RED)) rows2.set(p.y, (rows2.get(p.y) ?? 0) + 1);
    const band2 = [...rows2.entries()].filter(([, n]) => n > 300).map(([y]) => y)[0]!;
    expect(band2 - bandY).toBeGreaterThan(100);
    expect(band2 - bandY).toBeLessThan(180);

    // Background is white and dark text (title, ticks) exists.
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 255, 255]);
    expect(pixelsOf(img, [34, 34, 34]).length).toBeGreaterThan(200);
  });

  it('draws a rising diagonal: red ink in the lower left and upper right, none in the other corners', () => {
    const img = renderLineChartRGBA({
      width: 400,
      height: 400,
      xRange: [0, 1],
      yRange: [0, 1],
      series: [{ name: '', x: [0, 1], y: [0, 1], color: [255, 0, 0] }],
    });
    const red = pixelsOf(img, RED);
    const cx = img.width / 2;
    const cy = img.height / 2;
    const q = { ll: 0, ur: 0, ul: 0, lr: 0 };
    for (const p of red) {
      if (p.x < cx && p.y > cy) q.ll++;
      else if (p.x >= cx && p.y <= cy) q.ur++;
      else if (p.x < cx && p.y <= cy) q.ul++;
      else q.lr++;
    }
    expect(q.ll).toBeGreaterThan(100);
    expect(q.ur).toBeGreaterThan(100);
    expect(q.ul + q.lr).toBeLessThan(10);
    // Antialiasing produces intermediate reds along the edges of the stroke.
    let partial = 0;
    for (let i = 0; i < img.data.length; i += 4) {
      if (img.data[i] === 255 && img.data[i + 1]! > 0 && img.data[i + 1]! < 255 && img.data[i + 1] === img.data[i + 2]) partial++;
    }
    expect(partial).toBeGreaterThan(100);
  });

  it('draws dashed vertical markers in their colour and skips NaN points', () => {
    const img = renderLineChartRGBA({
      width: 500,
      height: 300,
      xRange: [0, 10],
      yRange: [0, 1],
      series: [{ name: 's', x: [0, 2, 4, 6], y: [0.5, NaN, 0.5, 0.5] }],
      markers: [{ x: 5, label: 'lr 1e-4\u21925e-5', color: '#00ff00' }],
    });
    const green = pixelsOf(img, [0, 255, 0]);
    const cols = new Map<number, number>();
    for (const p of green) cols.set(p.x, (cols.get(p.x) ?? 0) + 1);
    const [col, count] = [...cols.entries()].sort((a, b) => b[1] - a[1])[0]!;
    // One column carries the dashes: about 60% of the plot height is inked.
    expect(count).toBeGreaterThan(80);
    const ys = green.filter((p) => p.x === col).map((p) => p.y);
    let gaps = 0;
    for (let i = 1; i < ys.length; i++) if (ys[i]! - ys[i - 1]! > 1) gaps++;
    expect(gaps).toBeGreaterThan(5);
    expect(() =>
      renderLineChartRGBA({ series: [{ name: 'bad', x: [1, 2], y: [1] }] }),
    ).toThrow(/2 x values but 1 y values/);
  });

  it('renders a 100-point 800×500 chart without pathological slowness', () => {
    const x = Array.from({ length: 100 }, (_, i) => i + 1);
    const t0 = performance.now();
    renderLineChart({ title: 't', series: [{ name: 'a', x, y: x.map((v) => Math.sin(v / 10)) }] });
    expect(performance.now() - t0).toBeLessThan(5000); // ~100 ms when idle; generous for a loaded 2-core box
  });
});

describe('plotTrainingHistory', () => {
  it('draws train and validation curves with LR-change markers', () => {
    const epoch = [1, 2, 3, 4, 5, 6, 7, 8];
    const lr = [1e-4, 1e-4, 1e-4, 5e-5, 5e-5, 5e-5, 2.5e-5, 2.5e-5];
    const markers = lrChangeMarkers(epoch, lr);
    expect(markers).toEqual([
      { x: 3.5, label: 'lr 1e-4\u21925e-5' },
      { x: 6.5, label: 'lr 5e-5\u21922.5e-5' },
    ]);
    const { accuracyPng, lossPng } = plotTrainingHistory({
      epoch,
      loss: [0.69, 0.6, 0.5, 0.42, 0.38, 0.35, 0.33, 0.32],
      accuracy: [0.5, 0.6, 0.68, 0.74, 0.78, 0.8, 0.82, 0.83],
      val_loss: [0.68, 0.62, 0.55, 0.5, 0.49, 0.47, 0.47, 0.46],
      val_accuracy: [0.52, 0.58, 0.64, 0.7, 0.72, 0.74, 0.75, 0.75],
      lr,
    });
    for (const png of [accuracyPng, lossPng]) {
      const img = decode(png);
      expect([img.width, img.height]).toEqual([800, 500]);
      expect(pixelsOf(img, [31, 119, 180]).length).toBeGreaterThan(300); // training, blue
      expect(pixelsOf(img, [255, 127, 14]).length).toBeGreaterThan(300); // validation, orange
      // two dashed marker columns in the marker grey
      const grey = pixelsOf(img, [150, 150, 150]);
      const cols = new Map<number, number>();
      for (const p of grey) cols.set(p.x, (cols.get(p.x) ?? 0) + 1);
      expect([...cols.values()].filter((n) => n > 100).length).toBe(2);
    }
    expect(Buffer.from(accuracyPng).equals(Buffer.from(lossPng))).toBe(false);
  });
});
