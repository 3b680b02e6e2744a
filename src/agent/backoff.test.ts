import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

const s = 1000;
const min = 60 * s;

describe('Backoff (CrashLoopBackOff, client-go flowcontrol.Backoff)', () => {
  it('doubles from 10 s to the 5 min cap, one restart per finish', () => {
    const b = new Backoff();
    let t = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(b.next('c', t, t));
      t += delays.at(-1)! + s; // crashed 1 s after each restart
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300].map((x) => x * s));
  });

  it('expiry counts the time the container ran, not the back-off wait: running 7 min between crashes at the cap stays at 5 min', () => {
    const b = new Backoff();
    let restartedAt = 0;
    for (let i = 0; i < 6; i++) b.next('c', restartedAt, restartedAt); // at the 5 min cap
    for (let i = 0; i < 3; i++) {
      const finishedAt = restartedAt + 7 * min;
      const now = finishedAt + 5 * min; // the restart happens when the back-off has passed
      expect(b.isInBackOffSince('c', finishedAt, finishedAt + 1 * s)).toBe(true);
      expect(b.next('c', finishedAt, now)).toBe(5 * min);
      restartedAt = now;
    }
  });

  it('a container that ran more than 10 min before finishing starts again from 10 s', () => {
    const b = new Backoff();
    for (let i = 0; i < 6; i++) b.next('c', 0, 0);
    const finishedAt = 10 * min + 1;
    expect(b.isInBackOffSince('c', finishedAt, finishedAt + 1)).toBe(false);
    expect(b.get('c', finishedAt)).toBe(0);
    expect(b.next('c', finishedAt, finishedAt)).toBe(10 * s);
  });
});
