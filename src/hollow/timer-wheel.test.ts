import { describe, expect, it } from 'vitest';
import { FakeClock } from '../client/index.js';
import { TimerWheel } from './timer-wheel.js';
import { SharedSlots, WriteQueue } from './write-queue.js';

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

  /** A task that runs until its gate is opened, recording its start. */
  function gated(started: string[], gates: Map<string, () => void>) {
    return (name: string) => () =>
      new Promise<void>((r) => {
        started.push(name);
        gates.set(name, r);
      });
  }
  const turn = () => new Promise((r) => setImmediate(r));

  it('queues sharing slots: a busy queue borrows what the others leave unused, never their shares', async () => {
    const slots = new SharedSlots(8);
    const pods = new WriteQueue(2, undefined, slots);
    const leases = new WriteQueue(2, undefined, slots);
    const nodes = new WriteQueue(2, undefined, slots);
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const task = gated(started, gates);
    for (let i = 0; i < 10; i++) pods.enqueue(`p${i}`, task(`p${i}`));
    // Its own 2, and the 2 the others' shares leave free: 4 of 8.
    expect(started).toEqual(['p0', 'p1', 'p2', 'p3']);
    // The others' writes start at once, though pods has 6 more waiting.
    leases.enqueue('l0', task('l0'));
    nodes.enqueue('n0', task('n0'));
    expect(started.slice(4)).toEqual(['l0', 'n0']);
    // l0 and n0 use half of their shares: one more borrowed slot each is all pods may take.
    gates.get('p0')!();
    await turn();
    expect(started.slice(6)).toEqual(['p4']);
    // A renewal that never ends holds a slot; the loops keep their shares whatever it does.
    for (let i = 1; i < 6; i++) leases.enqueue(`l${i}`, task(`l${i}`));
    expect(started.slice(7)).toEqual(['l1']); // the leases' second share slot
    expect(started).toHaveLength(8);
    nodes.enqueue('n1', task('n1'));
    expect(started.slice(8)).toEqual(['n1']); // the slot kept free for the nodes' share
    nodes.enqueue('n2', task('n2'));
    expect(started).toHaveLength(9); // every slot busy, and nodes at its share: n2 waits
    gates.get('p1')!();
    await turn();
    expect(started).toHaveLength(10); // the freed slot goes to one of the queues waiting
    for (let i = 0; i < 30 && (pods.pending > 0 || leases.pending > 0 || nodes.pending > 0); i++) {
      for (const g of gates.values()) g();
      await turn();
    }
    await Promise.all([pods.idle(), leases.idle(), nodes.idle()]);
    expect(new Set(started).size).toBe(19);
  });

  it('queues sharing slots: a stuck queue cannot take the others\' shares', async () => {
    const slots = new SharedSlots(6);
    const leases = new WriteQueue(2, undefined, slots);
    const pods = new WriteQueue(2, undefined, slots);
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const task = gated(started, gates);
    for (let i = 0; i < 10; i++) leases.enqueue(`l${i}`, task(`l${i}`)); // none ever ends
    expect(started).toHaveLength(4); // 6 minus the pods' share
    pods.enqueue('p0', task('p0'));
    pods.enqueue('p1', task('p1'));
    expect(started.slice(4)).toEqual(['p0', 'p1']);
    expect(() => new WriteQueue(3, undefined, slots)).toThrow(/exceed/);
    for (const g of gates.values()) g();
    leases.stop();
    await turn();
    await pods.idle();
  });
});
