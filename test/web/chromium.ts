/**
 * Headless Chromium with WebGPU for the page tests, through playwright-core driving the
 * system browser (Debian's `chromium` package; playwright never downloads one here).
 *
 * WebGPU runs on Chromium's SwiftShader software adapter ("google swiftshader", a fallback
 * adapter): `--enable-unsafe-webgpu` turns WebGPU on in Linux builds and
 * `--enable-unsafe-swiftshader` lets it use SwiftShader without a GPU. The network-quiet flags
 * keep it from phoning home on a closed network; `--no-sandbox` is needed as root.
 *
 * Nothing is skipped: no browser or no adapter makes the tests fail with what to install.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS: string[] = [
  '--headless=new',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
];

export interface Browser {
  context: BrowserContext;
  /** Console lines and page errors of every page, for failure messages. */
  log: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the web page tests need it. Install Debian's package ` +
        `(apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary.`,
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'alexnet-chromium-'));
  const log: string[] = [];
  let context: BrowserContext;
  try {
    // A persistent context is how playwright takes a fresh --user-data-dir of our own.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: false, // headless comes from --headless=new in the flags
      args: CHROMIUM_FLAGS,
      timeout: 60_000,
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM_PATH} with ${CHROMIUM_FLAGS.join(' ')}: ${(e as Error).message}`);
  }
  const watch = (page: Page) => {
    page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    log,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
