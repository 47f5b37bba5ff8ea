// Entry point of the data loader's worker threads (plain JS, so Node can start it without a
// loader). It registers tsx's TypeScript hooks inside the worker, then loads worker.ts.
// The pool starts workers with `execArgv: []`, so this works the same whether the parent runs
// under `npx tsx`, under vitest, or under plain node with tsx installed: a worker does not
// inherit (or depend on) the parent's loader flags.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
