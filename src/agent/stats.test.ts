import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCpuLine, parseMeminfo, parseStatLine, readUsage, UsageSampler, type UsageSnapshot } from './stats.js';

describe('/proc parsing', () => {
  it('reads pgrp, CPU ticks and rss from a stat line, whatever the command name holds', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ... rss
    const line = '4242 (my (odd) daemon) S 1 4240 4240 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 4 0 12345 1000000 1536 18446744073709551615';
    expect(parseStatLine(line)).toEqual({ pgrp: 4240, cpuTicks: 250 + 50 + 7 + 3, rssPages: 1536 });
    expect(parseStatLine('garbage')).toBeUndefined();
  });

  it('reads non-idle CPU ticks and used memory', () => {
    expect(parseCpuLine('cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n')).toBe(100 + 5 + 50 + 3 + 2 + 1);
    expect(parseCpuLine('intr 1 2\n')).toBeUndefined();
    expect(parseMeminfo('MemTotal:       16000000 kB\nMemFree:          100000 kB\nMemAvailable:    6000000 kB\n')).toBe(10_000_000 * 1024);
    expect(parseMeminfo('MemTotal: 1 kB\n')).toBeUndefined();
  });

  it('reads this machine: the test process group has a resident set, the node uses memory', () => {
    const u = readUsage();
    const own = u.groups.get(Number(/^\d+ \(.*\) \S+ \d+ (\d+)/.exec(readFileSync('/proc/self/stat', 'utf8'))?.[1]));
    expect(own?.rssPages).toBeGreaterThan(0);
    expect(u.node?.memoryBytes).toBeGreaterThan(0);
  });
});

describe('UsageSampler', () => {
  const snap = (at: number, busyTicks: number, groups: [number, number, number][]): UsageSnapshot => ({
    at,
    node: { busyTicks, memoryBytes: 2 ** 30 },
    groups: new Map(groups.map(([pgid, cpuTicks, rssPages]) => [pgid, { cpuTicks, rssPages }])),
  });

  it('gives CPU as a rate over the window between the last two samples, memory from the last', () => {
    let now = 10_000;
    const reads = [snap(10_000, 1000, [[7, 100, 10], [8, 50, 5]]), snap(15_000, 1400, [[7, 350, 12], [9, 1, 1]])];
    const s = new UsageSampler(() => reads.shift()!, { now: () => now, clockTicks: 100, pageSize: 4096 });
    s.sample();
    now = 15_000;
    s.sample();
    const sum = s.summary([7, 8, 9]);
    expect(sum.windowMs).toBe(5_000);
    expect(sum.timestamp).toBe(15_000);
    // 250 ticks of 10 ms in 5 s = half a core.
    expect(sum.containers).toEqual([{ pgid: 7, cpuNanoCores: 500_000_000, memoryBytes: 12 * 4096 }]);
    // 400 ticks over 5 s = 0.8 cores.
    expect(sum.node).toEqual({ cpuNanoCores: 800_000_000, memoryBytes: 2 ** 30 });
  });

  it('never makes a window shorter than minWindowMs: a timer sample just after an on-demand one is not the window start', () => {
    let now = 0;
    let ticks = 0;
    // A steady 0.3-core container: 30 ticks per second.
    const s = new UsageSampler((at) => snap(at, 0, [[7, (ticks = (at / 1000) * 30), 1]]), { now: () => now, minWindowMs: 1000, clockTicks: 100, pageSize: 4096 });
    s.sample(); // timer at 0
    now = 4_990;
    s.summary([7]); // a request samples at 4.99 s
    now = 5_000;
    s.sample(); // the timer again, 10 ms later
    const sum = s.summary([7]);
    expect(sum.windowMs).toBe(5_000);
    expect(sum.containers[0]!.cpuNanoCores).toBe(300_000_000);
    expect(ticks).toBe(150);
  });

  it('samples on demand once the last sample is old enough; one sample alone has no window', () => {
    let now = 0;
    let n = 0;
    const s = new UsageSampler((at) => snap(at, 100 * ++n, [[7, 100 * n, 1]]), { now: () => now, minWindowMs: 1000, clockTicks: 100, pageSize: 4096 });
    expect(s.summary([7])).toMatchObject({ windowMs: 0, containers: [] });
    now = 500;
    expect(s.summary([7]).windowMs).toBe(0); // too soon to sample again
    now = 2_000;
    expect(s.summary([7])).toMatchObject({ windowMs: 2_000, containers: [{ pgid: 7, cpuNanoCores: 500_000_000 }] });
  });

  it('gives cumulative figures at the newest sample, sampling when it is older than maxAgeMs', () => {
    let now = 10_000;
    let reads = 0;
    const s = new UsageSampler((at) => (reads++, snap(at, 4200 + reads, [[7, 250, 12], [8, 5, 1]])), { now: () => now, clockTicks: 100, pageSize: 4096 });
    const first = s.current([7, 9]);
    expect(first).toEqual({ timestamp: 10_000, node: { cpuSeconds: 42.01, memoryBytes: 2 ** 30 }, groups: new Map([[7, { cpuSeconds: 2.5, rssBytes: 12 * 4096 }]]) });
    now = 10_500;
    expect(s.current([7], 1000).timestamp).toBe(10_000); // fresh enough: no new scan
    expect(reads).toBe(1);
    now = 11_000;
    expect(s.current([7], 1000)).toMatchObject({ timestamp: 11_000, node: { cpuSeconds: 42.02 } });
    expect(reads).toBe(2);
    // A container started after the newest sample: sampled again, however fresh that one is.
    now = 11_100;
    expect(s.current([7], 1000, 11_050).timestamp).toBe(11_100);
    expect(reads).toBe(3);
  });
});
