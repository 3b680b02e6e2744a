import { describe, expect, it } from 'vitest';
import { startPeriodic } from './periodic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startPeriodic', () => {
  it('runs on ticks one at a time, joins runOnce callers to the run in progress, skips while inactive, and stop waits for the run', async () => {
    let runs = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let active = true;
    const errors: unknown[] = [];
    const task = startPeriodic(
      async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(30);
        inFlight--;
        if (++runs === 2) throw new Error('tick failed');
        return runs;
      },
      { intervalMs: 5, active: () => active, onError: (e) => errors.push(e) },
    );
    const [a, b] = await Promise.all([task.runOnce(), task.runOnce()]);
    expect(a).toBe(b); // one run served both
    await sleep(100);
    expect(maxInFlight).toBe(1);
    expect(errors).toHaveLength(1); // a failed tick is reported, and the next tick runs again
    active = false;
    await sleep(150); // a run begun before that ends
    const before = runs;
    await sleep(40);
    expect(runs).toBe(before);
    const pending = task.runOnce(); // runOnce runs even while inactive
    await task.stop();
    expect(task.stopped).toBe(true);
    await expect(pending).resolves.toBe(before + 1);
  });
});
