import { describe, expect, it } from 'vitest';
import { FakeClock } from '../client/index.js';
import { TimerWheel } from './timer-wheel.js';
import { WriteQueue } from './write-queue.js';

class CountingClock extends FakeClock {
  armed = 0;
  override setTimeout(fn: () => void, ms: number) {
    this.armed++;
    return super.setTimeout(fn, ms);
  }
}

describe('TimerWheel', () => {
  it('runs timers in deadline order within one tick, on one native timer at a time', () => {
    const clock = new CountingClock(0);
    const wheel = new TimerWheel(clock, 10);
    const ran: string[] = [];
    for (let i = 0; i < 1000; i++) wheel.schedule(() => ran.push(`late${i}`), 5_000);
    wheel.schedule(() => ran.push('b'), 200);
    wheel.schedule(() => ran.push('a'), 100);
    const c = wheel.schedule(() => ran.push('cancelled'), 150);
    wheel.cancel(c);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(99);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual(['a']);
    clock.advance(100);
    expect(ran).toEqual(['a', 'b']);
    clock.advance(5_000);
    expect(ran).toHaveLength(1002);
    expect(ran[2]).toBe('late0');
    expect(clock.armed).toBeLessThan(10);
  });

  it('a throwing callback does not stop the others; stop() drops everything', () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    const wheel = new TimerWheel(clock, 10, (e) => errors.push(e));
    const ran: number[] = [];
    wheel.schedule(() => {
      throw new Error('boom');
    }, 10);
    wheel.schedule(() => ran.push(1), 10);
    wheel.schedule(() => ran.push(2), 50);
    clock.advance(10);
    expect(ran).toEqual([1]);
    expect(errors).toHaveLength(1);
    wheel.stop();
    clock.advance(100);
    expect(ran).toEqual([1]);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('WriteQueue', () => {
  it('bounds concurrency, coalesces waiting writes per key and serialises one key', async () => {
    const q = new WriteQueue(2);
    let active = 0;
    let maxActive = 0;
    const log: string[] = [];
    const task = (name: string) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 5));
      log.push(name);
      active--;
    };
    q.enqueue('a', task('a1'));
    q.enqueue('b', task('b1'));
    q.enqueue('c', task('c1'));
    q.enqueue('c', task('c2')); // replaces c1 (still waiting)
    q.enqueue('a', task('a2')); // a1 is running: runs after it
    await q.idle();
    expect(maxActive).toBe(2);
    expect(log).not.toContain('c1');
    expect(log).toContain('c2');
    expect(log.indexOf('a1')).toBeLessThan(log.indexOf('a2'));
  });

  it('reports failures and keeps going', async () => {
    const errs: string[] = [];
    const q = new WriteQueue(1, (k) => errs.push(k));
    let ok = false;
    q.enqueue('x', () => Promise.reject(new Error('no')));
    q.enqueue('y', async () => {
      ok = true;
    });
    await q.idle();
    expect(errs).toEqual(['x']);
    expect(ok).toBe(true);
  });
});
