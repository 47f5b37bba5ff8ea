// Entry point of the data loader's worker threads (plain JS, so Node can start it without a
// loader). In the built package (dist/) the worker is compiled JavaScript beside this file and
// is imported directly. In the source tree it is TypeScript: this registers tsx's hooks inside
// the worker, then loads worker.ts. The pool starts workers with `execArgv: []`, so this works
// the same whether the parent runs under `npx tsx`, under vitest, or under plain node: a worker
// does not inherit (or depend on) the parent's loader flags.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('./worker.js', import.meta.url);
if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./worker.ts', import.meta.url).href);
}
