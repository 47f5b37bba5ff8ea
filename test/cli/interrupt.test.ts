/**
 * The Ctrl-C policy of long commands (scripts/lib/interrupt.ts), signal by signal: before
 * training nothing is saved and the command exits 130 at once; during training the first
 * press asks for a save; copies of that press arriving within the window (a terminal's
 * process-group signal plus npm's relay) are the same press; a later one quits without saving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installInterruptHandler, type InterruptHandler } from '../../scripts/lib/interrupt.js';

let h: InterruptHandler | null = null;
afterEach(() => h?.dispose());

function harness(windowMs = 200) {
  const written: string[] = [];
  const exits: number[] = [];
  h = installInterruptHandler({ duplicateWindowMs: windowMs, write: (s) => written.push(s.trim()), exit: (c) => exits.push(c) });
  return { h, written, exits };
}

describe('interrupt handler', () => {
  it('before training: one press exits 130, saying there was nothing to save', () => {
    const t = harness();
    process.emit('SIGINT', 'SIGINT');
    expect(t.exits).toEqual([130]);
    expect(t.written).toEqual(['Interrupted before training started: nothing to save.']);
  });

  it('during training: the first press asks for a save; relayed copies are the same press; a later press quits', async () => {
    const t = harness(200);
    t.h.phase = 'training';
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT'); // npm's relay, milliseconds later
    process.emit('SIGTERM', 'SIGTERM');
    expect(t.h.requested).toBe(true);
    expect(t.exits).toEqual([]);
    expect(t.written).toEqual(['Ctrl-C: finishing this step, then saving a checkpoint (press again to quit at once)...']);
    await new Promise((r) => setTimeout(r, 250));
    process.emit('SIGINT', 'SIGINT');
    expect(t.exits).toEqual([130]);
    expect(t.written.at(-1)).toBe('Second Ctrl-C: exiting without saving.');
  });

  it('dispose removes the listeners', () => {
    const t = harness();
    const before = process.listenerCount('SIGINT');
    t.h.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before - 1);
    h = null;
  });
});
