/**
 * Scopes for deterministic release: every non-persistent tensor created inside `tidy(fn)`
 * is disposed when `fn` returns, except the tensors it returns (moved to the outer scope)
 * and those passed to `keep()`. A training step runs inside one scope, so its
 * intermediates go back to the buffer pool at the step's end.
 */
import type { Tensor } from './tensor.js';

const stack: Set<Tensor>[] = [];
let onOutermostEnd: (() => void) | null = null;

export function track(t: Tensor): void {
  stack[stack.length - 1]?.add(t);
}

/** Moves a tensor out of every scope: it will not be disposed automatically. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

/** Hook run when the outermost scope ends (the tape clears itself there). */
export function setOutermostScopeEndHook(fn: () => void): void {
  onOutermostEnd = fn;
}

type Returned = Tensor | Tensor[] | Record<string, Tensor> | void | number | undefined;

function collect(r: unknown, out: Set<Tensor>): void {
  if (!r || typeof r !== 'object') return;
  if ('ctx' in (r as object) && 'shape' in (r as object)) {
    out.add(r as Tensor);
    return;
  }
  for (const v of Array.isArray(r) ? r : Object.values(r as object)) collect(v, out);
}

/** Ends `scope`: disposes its tensors except those `result` holds, which move to the outer scope. */
function endScope(scope: Set<Tensor>, result: unknown, failed: boolean): void {
  stack.splice(stack.lastIndexOf(scope), 1);
  const returned = new Set<Tensor>();
  if (!failed) collect(result, returned);
  for (const t of scope) {
    if (returned.has(t)) track(t);
    else t.dispose();
  }
  if (stack.length === 0) onOutermostEnd?.();
}

export function tidy<R extends Returned>(fn: () => R): R {
  const scope = new Set<Tensor>();
  stack.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    endScope(scope, undefined, true);
    throw e;
  }
  endScope(scope, result, false);
  return result;
}

/** Async variant: the scope spans the awaited function (do not interleave two of them). */
export async function tidyAsync<R extends Returned>(fn: () => Promise<R>): Promise<R> {
  const scope = new Set<Tensor>();
  stack.push(scope);
  let result: R;
  try {
    result = await fn();
  } catch (e) {
    endScope(scope, undefined, true);
    throw e;
  }
  endScope(scope, result, false);
  return result;
}
