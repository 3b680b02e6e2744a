import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from './agent.js';

describe('KeyedSerializer', () => {
  it('runs one function per key at a time; calls made during a run collapse into one more run of the latest function', async () => {
    const s = new KeyedSerializer(() => undefined);
    const log: string[] = [];
    let release!: () => void;
    const first = s.run('k', async () => {
      log.push('remove-v2 start');
      await new Promise<void>((r) => (release = r));
      log.push('remove-v2 end');
    });
    const second = s.run('k', async () => void log.push('start-v2'));
    const third = s.run('k', async () => void log.push('remove-v2 again'));
    expect(second).toBe(first);
    expect(third).toBe(first);
    release();
    await first;
    expect(log).toEqual(['remove-v2 start', 'remove-v2 end', 'remove-v2 again']);
    // Other keys run alongside.
    await s.run('other', async () => void log.push('other'));
    expect(log.at(-1)).toBe('other');
  });
});
