/**
 * A small synthetic two-class image set, generated deterministically from a seed, written as
 * real JPEG files in the `flow_from_directory` layout:
 *
 *   dir/{train,validation,test}/{circles,squares}/{circle,square}.N.jpg   + dir/manifest.json
 *
 * Each image: a background with a linear colour gradient and per-pixel noise, and THREE
 * shapes in one contrasting random colour — discs (class 0, 'circles') or squares rotated by
 * up to ±10° (class 1, 'squares') — at random positions and sizes, fully inside the image.
 * Each square has the same area as the disc of its drawn radius, so brightness or colour mass
 * does not give the class away. The shapes are striped (along the rows in discs, along the
 * columns in squares): shape alone proved too slow for AlexNet to pick up in a quick default
 * run (chance accuracy after 250 steps), while the stripes are a texture cue it learns within
 * an epoch or two. Edges are anti-aliased (4 samples per pixel).
 *
 * Every image is a pure function of (seed, split, class, index): adding images to a split does
 * not change the existing ones, and the three splits never share an image.
 *
 * Generation is idempotent: when `dir/manifest.json` matches the requested parameters (and
 * the files are there), nothing is written. The manifest is written last, so an interrupted
 * run is redone next time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RgbImage } from './image.js';
import { encodeJpeg } from './jpeg-encode.js';
import { syntheticDir } from './paths.js';
import { Rng, hashSeed } from './prng.js';

export const SYNTHETIC_CLASSES = ['circles', 'squares'] as const;
const SINGULAR = ['circle', 'square'];
export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export interface SyntheticOptions {
  /** Output folder (default datasets/synthetic in the project). */
  dir?: string;
  seed?: number;
  /** Images per class in each split (default 200 / 50 / 50). */
  perClass?: Partial<Record<Split, number>>;
  /** Side of the square images in pixels (default 96). */
  size?: number;
  /** JPEG quality (default 90). */
  quality?: number;
  /** Regenerate even when the manifest matches; also allows replacing a folder without one. */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SyntheticManifest {
  generator: 'shapes-v4';
  seed: number;
  size: number;
  quality: number;
  perClass: Record<Split, number>;
  classes: string[];
}

export interface SyntheticResult {
  dir: string;
  /** False when an existing matching dataset was kept. */
  generated: boolean;
  manifest: SyntheticManifest;
}

export const SYNTHETIC_DEFAULTS = { seed: 1234, size: 96, quality: 90, perClass: { train: 200, validation: 50, test: 50 } };

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** Renders one image of class `label` (0 circle, 1 square) from `rng`. */
export function renderSyntheticImage(label: number, rng: Rng, size: number): RgbImage {
  const rc = () => [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
  const c0 = rc();
  const c1 = rc();
  const gAngle = rng.uniform(0, 2 * Math.PI);
  const gx = Math.cos(gAngle) / size;
  const gy = Math.sin(gAngle) / size;
  const noise = rng.uniform(2, 12);
  const bgMean = [0, 1, 2].map((k) => (c0[k]! + c1[k]!) / 2);
  // A shape colour at least 90 away (Euclidean RGB) from the background's mean colour.
  const stripePeriod = Math.max(2, Math.round(size / 24));
  let fg = rc();
  for (let i = 0; i < 32 && Math.hypot(fg[0]! - bgMean[0]!, fg[1]! - bgMean[1]!, fg[2]! - bgMean[2]!) < 90; i++) fg = rc();
  // Three shapes of the image's class: enough signal per image that a small network learns
  // the set in a few epochs, while corners versus round edges stay the only cue.
  const shapes: Array<(x: number, y: number) => boolean> = [];
  for (let s = 0; s < 3; s++) {
    const r = rng.uniform(0.1, 0.18) * size;
    const angle = label === 1 ? rng.uniform(-Math.PI / 18, Math.PI / 18) : 0;
    const half = (r * Math.sqrt(Math.PI)) / 2; // square of the disc's area
    const reach = label === 1 ? half * (Math.abs(Math.cos(angle)) + Math.abs(Math.sin(angle))) : r;
    const cx = rng.uniform(reach + 1, size - reach - 1);
    const cy = rng.uniform(reach + 1, size - reach - 1);
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    shapes.push((x, y) => {
      const dx = x - cx;
      const dy = y - cy;
      if (label === 0) return dx * dx + dy * dy <= r * r;
      const u = ca * dx + sa * dy;
      const v = -sa * dx + ca * dy;
      return Math.abs(u) <= half && Math.abs(v) <= half;
    });
  }
  const inside = (x: number, y: number): boolean => shapes.some((f) => f(x, y));
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = Math.min(1, Math.max(0, 0.5 + (x - size / 2) * gx + (y - size / 2) * gy));
      let cover = 0;
      for (const [ox, oy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]] as const) {
        if (inside(x + ox, y + oy)) cover++;
      }
      cover /= 4;
      const p = (y * size + x) * 3;
      for (let k = 0; k < 3; k++) {
        const bg = c0[k]! * (1 - t) + c1[k]! * t + rng.uniform(-noise, noise);
        // Stripes inside the shapes: across rows for discs, across columns for squares.
        const along = label === 0 ? y : x;
        const stripe = Math.floor(along / stripePeriod) % 2 === 0 ? 1 : 0.45;
        data[p + k] = clamp255(bg * (1 - cover) + fg[k]! * stripe * cover);
      }
    }
  }
  return { width: size, height: size, data };
}

function resolveOptions(opts: SyntheticOptions): { dir: string; manifest: SyntheticManifest } {
  const perClass = { ...SYNTHETIC_DEFAULTS.perClass, ...(opts.perClass ?? {}) };
  for (const s of SPLITS) {
    if (!(Number.isInteger(perClass[s]) && perClass[s] >= 1)) throw new Error(`perClass.${s} must be a positive integer, got ${perClass[s]}`);
  }
  const size = opts.size ?? SYNTHETIC_DEFAULTS.size;
  if (!(Number.isInteger(size) && size >= 16)) throw new Error(`size must be an integer ≥ 16, got ${size}`);
  return {
    dir: path.resolve(opts.dir ?? syntheticDir()),
    manifest: {
      generator: 'shapes-v4',
      seed: opts.seed ?? SYNTHETIC_DEFAULTS.seed,
      size,
      quality: opts.quality ?? SYNTHETIC_DEFAULTS.quality,
      perClass,
      classes: [...SYNTHETIC_CLASSES],
    },
  };
}

function fileName(label: number, i: number): string {
  return `${SINGULAR[label]}.${i}.jpg`;
}

function isComplete(dir: string, m: SyntheticManifest): boolean {
  const mp = path.join(dir, 'manifest.json');
  if (!fs.existsSync(mp)) return false;
  let old: unknown;
  try {
    old = JSON.parse(fs.readFileSync(mp, 'utf8'));
  } catch {
    return false;
  }
  if (JSON.stringify(old) !== JSON.stringify(m)) return false;
  for (const s of SPLITS) {
    for (let label = 0; label < m.classes.length; label++) {
      const cdir = path.join(dir, s, m.classes[label]!);
      if (!fs.existsSync(cdir)) return false;
      const names = new Set(fs.readdirSync(cdir));
      for (let i = 0; i < m.perClass[s]; i++) if (!names.has(fileName(label, i))) return false;
    }
  }
  return true;
}

/** Generates the dataset unless an identical one is already there. */
export async function makeSyntheticDataset(opts: SyntheticOptions = {}): Promise<SyntheticResult> {
  const { dir, manifest } = resolveOptions(opts);
  if (!opts.force && isComplete(dir, manifest)) return { dir, generated: false, manifest };
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    const ours = new Set<string>(['manifest.json', ...SPLITS]);
    if (!opts.force && !entries.includes('manifest.json') && entries.length > 0) {
      throw new Error(`refusing to write the synthetic dataset into ${dir}: it holds files but no manifest.json (pass force to replace)`);
    }
    for (const e of entries) if (ours.has(e)) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  }
  const total = SPLITS.reduce((a, s) => a + manifest.perClass[s], 0) * manifest.classes.length;
  let done = 0;
  for (const [si, split] of SPLITS.entries()) {
    for (let label = 0; label < manifest.classes.length; label++) {
      const cdir = path.join(dir, split, manifest.classes[label]!);
      fs.mkdirSync(cdir, { recursive: true });
      for (let i = 0; i < manifest.perClass[split]; i++) {
        const rng = new Rng(hashSeed(manifest.seed, si, label, i));
        const img = renderSyntheticImage(label, rng, manifest.size);
        fs.writeFileSync(path.join(cdir, fileName(label, i)), encodeJpeg(img, manifest.quality));
        done++;
        if (opts.onProgress && (done % 50 === 0 || done === total)) opts.onProgress(done, total);
      }
      // Yield to the event loop between folders so a progress bar can repaint.
      await new Promise((r) => setImmediate(r));
    }
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, generated: true, manifest };
}

/** The default synthetic dataset's folder: datasets/synthetic in the project. */
export const SYNTHETIC_DIR = syntheticDir();

/**
 * The synthetic dataset (default parameters and folder unless given), generated on first use —
 * what `train` calls when no data folder is given. Resolves to its folder.
 */
export async function ensureSyntheticDataset(opts: SyntheticOptions & { log?: (msg: string) => void } = {}): Promise<string> {
  const { log, ...rest } = opts;
  const { dir, manifest } = resolveOptions(rest);
  if (isComplete(dir, manifest)) return dir;
  log?.(`generating the synthetic dataset in ${dir} (seed ${manifest.seed}, ${manifest.size}×${manifest.size}) …`);
  const t0 = performance.now();
  const r = await makeSyntheticDataset({ ...rest, force: false });
  log?.(`generated ${r.dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r.dir;
}
