/**
 * The confusion-matrix PNG, decoded and inspected: the size the layout says, every cell shaded
 * by its count (the largest darkest, an empty one white, darker for more), a number written in
 * each cell, class names beside the rows and under the columns.
 */
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CELL_HIGH, CELL_LOW, confusionLayout, renderConfusionMatrix } from '../../src/io/confusion-plot.js';

const { PNG } = pngjs;

const CONFUSION = [
  [40, 10, 0],
  [5, 30, 15],
  [2, 3, 45],
];
const NAMES = ['cats', 'dogs', 'horses'];

function decode(png: Uint8Array) {
  const img = PNG.sync.read(Buffer.from(png));
  const at = (x: number, y: number): [number, number, number] => {
    const i = (y * img.width + x) * 4;
    return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
  };
  return { width: img.width, height: img.height, at };
}

const luminance = ([r, g, b]: [number, number, number]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe('renderConfusionMatrix', () => {
  const opts = { confusion: CONFUSION, classNames: NAMES, subtitle: 'accuracy 0.770' };
  const L = confusionLayout(opts);
  const img = decode(renderConfusionMatrix(opts));
  /** A pixel in a cell's corner, clear of its text. */
  const corner = (t: number, p: number) => img.at(L.left + p * L.cell + 4, L.top + t * L.cell + 4);

  it('is a PNG of the laid-out size with the grid inside it', () => {
    expect([img.width, img.height]).toEqual([L.width, L.height]);
    expect(L.left + 3 * L.cell).toBeLessThan(L.width);
    expect(L.top + 3 * L.cell).toBeLessThan(L.height);
  });

  it('shades each cell by its count: the largest darkest, zero white, more is darker', () => {
    expect(corner(2, 2)).toEqual([...CELL_HIGH]); // 45, the largest count
    expect(corner(0, 2)).toEqual([...CELL_LOW]); // 0
    const cells = CONFUSION.flatMap((row, t) => row.map((v, p) => ({ v, lum: luminance(corner(t, p)) })));
    cells.sort((a, b) => a.v - b.v);
    for (let i = 1; i < cells.length; i++) {
      if (cells[i]!.v > cells[i - 1]!.v) expect(cells[i]!.lum, `count ${cells[i]!.v} vs ${cells[i - 1]!.v}`).toBeLessThan(cells[i - 1]!.lum);
    }
  });

  it('writes a number in every cell and the class names beside rows and under columns', () => {
    const inkIn = (x0: number, y0: number, x1: number, y1: number, background: [number, number, number]) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (img.at(x, y).some((c, i) => Math.abs(c - background[i]!) > 40)) n++;
      return n;
    };
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        const x = L.left + p * L.cell;
        const y = L.top + t * L.cell;
        expect(inkIn(x + 2, y + 2, x + L.cell - 2, y + L.cell - 2, corner(t, p)), `cell ${t},${p}`).toBeGreaterThan(20);
      }
      // Row name: left of the grid; column name: under it.
      expect(inkIn(0 + 30, L.top + t * L.cell, L.left - 2, L.top + (t + 1) * L.cell, [255, 255, 255]), `row ${t}`).toBeGreaterThan(20);
      expect(inkIn(L.left + t * L.cell, L.top + 3 * L.cell + 4, L.left + (t + 1) * L.cell, L.top + 3 * L.cell + 40, [255, 255, 255]), `column ${t}`).toBeGreaterThan(20);
    }
  });

  it('widens the image for a subtitle longer than the grid, so no text is cut at the edges', () => {
    const two = { confusion: [[397, 103], [117, 383]], classNames: ['cats', 'dogs'], subtitle: 'accuracy 0.7800 (1000 images)' };
    const lay = confusionLayout(two);
    const png = decode(renderConfusionMatrix(two));
    expect(png.width).toBe(lay.width);
    // The title rows: ink somewhere, but none in the 4-pixel margins at both edges.
    let inner = 0;
    let edge = 0;
    for (let y = 0; y < lay.top; y++) {
      for (let x = 0; x < png.width; x++) {
        if (luminance(png.at(x, y)) > 128) continue;
        if (x < 4 || x >= png.width - 4) edge++;
        else inner++;
      }
    }
    expect(inner).toBeGreaterThan(100);
    expect(edge).toBe(0);
  });

  it('refuses a matrix whose size does not match the class names', () => {
    expect(() => renderConfusionMatrix({ confusion: [[1, 2]], classNames: ['a'] })).toThrow(/1×1 matrix/);
  });
});
