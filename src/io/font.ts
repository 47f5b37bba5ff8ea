/**
 * A compact bitmap font for chart text, drawn by hand for this project.
 *
 * Each glyph is a 5-column grid of up to 9 rows: rows 0..6 hold capitals and digits (the baseline
 * sits under row 6), rows 2..6 are the lowercase x-height, rows 7..8 hold descenders. A glyph
 * string lists its rows top to bottom, separated by spaces; '#' is ink, '.' is blank, and rows
 * left out at the bottom are blank. The renderer is proportional: a glyph advances by the width
 * of its inked columns plus one column of spacing (a blank glyph advances SPACE_ADVANCE).
 *
 * Covers printable ASCII 32..126 plus a few symbols used in chart labels (→ × · ± − …).
 * Platform-neutral: no imports.
 */

export const GLYPH_COLS = 5;
export const GLYPH_ROWS = 9;
/** Rows from the top of the cell down to the baseline. */
export const GLYPH_BASELINE = 7;
export const SPACE_ADVANCE = 3;
export const LETTER_SPACING = 1;

const GLYPHS: Record<string, string> = {
  ' ': '',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. .#.#.',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  $: '..#.. .#### #.#.. .###. ..#.# ####. ..#..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. .#...',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... ..... .##.. .##.. ..#.. .#...',
  '-': '..... ..... ..... .###. ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. .##.. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# .#.#. .#.#. ..#.. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  '\\': '#.... #.... .#... ..#.. ...#. ....# ....#',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '^': '..#.. .#.#. #...#',
  _: '..... ..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#.. ...#.',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '##... .#... .#... .#... .#... .#... ..##.',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .###. #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# .#.#. .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...',
  '~': '..... ..... .#... #.#.# ...#.',
  // A few non-ASCII symbols used in labels.
  '\u2192': '..... ..#.. ...#. ##### ...#. ..#.. .....', // →
  '\u00d7': '..... #...# .#.#. ..#.. .#.#. #...# .....', // ×
  '\u00b7': '..... ..... ..... .##.. .##.. ..... .....', // ·
  '\u00b1': '..#.. ..#.. ##### ..#.. ..#.. ..... #####', // ±
  '\u2212': '..... ..... ..... .###. ..... ..... .....', // − (minus sign)
  '\u2026': '..... ..... ..... ..... ..... ..... #.#.#', // …
  '\u00b0': '.##.. #..#. #..#. .##..', // °
};

/** Drawn for characters the font lacks: a hollow box. */
const MISSING = '##### #...# #...# #...# #...# #...# #####';

export interface Glyph {
  /** Inked columns after trimming blank columns on both sides (0 for a blank glyph). */
  width: number;
  /** Pixel advance including letter spacing. */
  advance: number;
  /** rows[r] is a bit mask over the trimmed columns: bit (width-1-c) set means column c is inked. */
  rows: Uint8Array;
}

const cache = new Map<string, Glyph>();

function parseGlyph(spec: string): Glyph {
  const rows = spec.length ? spec.split(' ') : [];
  if (rows.length > GLYPH_ROWS) throw new Error(`font: glyph has ${rows.length} rows (max ${GLYPH_ROWS})`);
  let minCol = GLYPH_COLS;
  let maxCol = -1;
  for (const r of rows) {
    if (r.length !== GLYPH_COLS || /[^#.]/.test(r)) throw new Error(`font: bad glyph row "${r}"`);
    for (let c = 0; c < GLYPH_COLS; c++) {
      if (r[c] === '#') {
        minCol = Math.min(minCol, c);
        maxCol = Math.max(maxCol, c);
      }
    }
  }
  if (maxCol < 0) return { width: 0, advance: SPACE_ADVANCE, rows: new Uint8Array(GLYPH_ROWS) };
  const width = maxCol - minCol + 1;
  const bits = new Uint8Array(GLYPH_ROWS);
  rows.forEach((r, y) => {
    let m = 0;
    for (let c = minCol; c <= maxCol; c++) m = (m << 1) | (r[c] === '#' ? 1 : 0);
    bits[y] = m;
  });
  return { width, advance: width + LETTER_SPACING, rows: bits };
}

/** The glyph for one character (a hollow box for characters the font does not have). */
export function glyph(ch: string): Glyph {
  let g = cache.get(ch);
  if (!g) {
    g = parseGlyph(GLYPHS[ch] ?? MISSING);
    cache.set(ch, g);
  }
  return g;
}

export function hasGlyph(ch: string): boolean {
  return Object.prototype.hasOwnProperty.call(GLYPHS, ch);
}

/** Width in font pixels (unscaled) of a line of text, without trailing letter spacing. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += glyph(ch).advance;
  return text.length ? Math.max(0, w - LETTER_SPACING) : 0;
}

/**
 * Rasterize one line of text at integer `scale` into a 0/1 mask (row-major, width × height where
 * height = GLYPH_ROWS × scale). `bold` widens each stroke by one output pixel.
 */
export function rasterizeText(text: string, scale = 1, bold = false): { width: number; height: number; mask: Uint8Array } {
  const s = Math.max(1, Math.round(scale));
  const width = textWidth(text) * s + (bold ? 1 : 0);
  const height = GLYPH_ROWS * s;
  const mask = new Uint8Array(Math.max(0, width * height));
  let penX = 0;
  for (const ch of text) {
    const g = glyph(ch);
    for (let r = 0; r < GLYPH_ROWS; r++) {
      const bits = g.rows[r]!;
      if (!bits) continue;
      for (let c = 0; c < g.width; c++) {
        if (!((bits >> (g.width - 1 - c)) & 1)) continue;
        const x0 = (penX + c) * s;
        const y0 = r * s;
        for (let yy = 0; yy < s; yy++) {
          const row = (y0 + yy) * width;
          for (let xx = 0; xx < s + (bold ? 1 : 0); xx++) mask[row + x0 + xx] = 1;
        }
      }
    }
    penX += g.advance;
  }
  return { width, height, mask };
}
