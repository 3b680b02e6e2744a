import { describe, expect, it } from 'vitest';
import { WatchDecoder } from './watch-decoder.js';

describe('WatchDecoder', () => {
  it('decodes events split at every possible byte boundary, including inside UTF-8', () => {
    const text = '{"type":"ADDED","object":{"metadata":{"name":"ä-ö-€"}}}\n\n{"type":"DELETED","object":{"metadata":{"name":"b"}}}\n';
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new WatchDecoder();
      const evs = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut)), ...d.end()];
      expect(evs.map((e) => `${e.type}:${(e.object.metadata as { name: string }).name}`)).toEqual(['ADDED:ä-ö-€', 'DELETED:b']);
    }
  });
  it('skips bad lines and flushes a final line without newline', () => {
    const bad: string[] = [];
    const d = new WatchDecoder((l) => bad.push(l));
    expect(d.push('garbage\n{"type":"MODIFIED","object":{"metadata":{}}}')).toEqual([]);
    expect(d.end()).toHaveLength(1);
    expect(bad).toEqual(['garbage']);
  });
});
