/**
 * How the trainer waits for a step's GPU work. dawn.node busy-polls the main thread while a GPU
 * promise is pending, which on a software GPU (lavapipe) takes a core from the GPU's own worker
 * threads; so after submitting a step the trainer sleeps for most of the time the step is
 * expected to take, and only then waits on the GPU.
 *
 * The expectation per kind of step (train / eval) is the minimum of its recent durations. A step
 * in which the host still waited after its sleep adds its measured time (an upper bound of the
 * GPU time: spinning slows the GPU); one where the host overslept adds 0.85 × the expectation
 * (the GPU finished earlier by an unknown amount), so the expectation comes down within a few
 * steps. Steps that compiled pipelines say nothing about later ones and reset it.
 */
export class StepWaitPolicy {
  /** Fraction of the expected step time to sleep; 0 disables sleeping. */
  fraction = 0.95;
  private recentMs = new Map<string, number[]>();

  /** Milliseconds to sleep before waiting, for a step of `kind` whose recording took `recordMs`. */
  idleMs(kind: string, recordMs: number): number {
    const recent = this.recentMs.get(kind) ?? [];
    const expected = recent.length > 0 ? Math.min(...recent) : 0;
    return expected > 0 ? Math.max(0, this.fraction * expected - recordMs) : 0;
  }

  /** Records how the step went: its total time, how long the host slept, whether it compiled. */
  record(kind: string, o: { elapsedMs: number; recordMs: number; idleMs: number; compiled: boolean }): void {
    const recent = this.recentMs.get(kind) ?? [];
    const expected = recent.length > 0 ? Math.min(...recent) : 0;
    if (o.compiled) recent.length = 0;
    else recent.push(o.idleMs > 1 && o.elapsedMs - o.recordMs - o.idleMs < 3 ? 0.85 * expected : o.elapsedMs);
    if (recent.length > 8) recent.shift();
    this.recentMs.set(kind, recent);
  }
}
