import { describe, expect, it } from 'vitest';
import { createLogger, outageLog } from './logger.js';

describe('outageLog', () => {
  it('warns once per outage without a stack, repeats at debug, and says when it works again', () => {
    const lines: string[] = [];
    const o = outageLog(createLogger({ level: 'info', write: (l) => lines.push(l.trimEnd()) }), 'sharing things');
    o.ok();
    for (let i = 0; i < 5; i++) o.failed(new Error('etcd is down'));
    o.ok();
    o.ok();
    o.failed('again');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/WARN .*sharing things failed \(retried every second until it works; said once\): etcd is down$/);
    expect(lines[0]).not.toMatch(/\n/);
    expect(lines[1]).toMatch(/INFO .*sharing things works again$/);
    expect(lines[2]).toMatch(/WARN .*: again$/);
  });
});
