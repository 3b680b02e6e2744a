import { readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../api/testing/index.js';
import { AuditLog, type AuditEvent } from './audit.js';
import { createLogger } from '../util/logger.js';

const tempDir = tempDirs('audit');

const ev = (name: string): AuditEvent => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: name,
  stage: 'ResponseComplete',
  requestURI: `/api/v1/namespaces/default/configmaps/${name}`,
  verb: 'delete',
  user: { username: 'u', groups: [] },
  sourceIPs: [],
  objectRef: { resource: 'configmaps', namespace: 'default', name, apiGroup: '', apiVersion: 'v1' },
  responseStatus: { code: 200 },
  requestReceivedTimestamp: '2025-01-01T00:00:00.000Z',
  stageTimestamp: '2025-01-01T00:00:00.000Z',
});
const ids = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as AuditEvent).auditID);

describe('AuditLog', () => {
  it('appends across reopenings, writes all on close and ignores records after it', async () => {
    const dir = tempDir();
    const a = new AuditLog(dir);
    a.record(ev('a1'));
    a.record(ev('a2'));
    await a.close();
    a.record(ev('late'));
    await a.close();
    const b = new AuditLog(dir);
    b.record(ev('b1'));
    await b.flush();
    expect(ids(join(dir, 'audit.log'))).toEqual(['a1', 'a2', 'b1']);
    await b.close();
  });

  it('with maxFiles 0 keeps only the current file; an oversized line gets a file of its own', async () => {
    const dir = tempDir();
    const a = new AuditLog(dir, { maxBytes: 10, maxFiles: 0 });
    for (const n of ['x1', 'x2', 'x3']) a.record(ev(n));
    await a.close();
    expect(readdirSync(dir)).toEqual(['audit.log']);
    expect(ids(join(dir, 'audit.log'))).toEqual(['x3']);
  });

  it('a disk that refuses every write (ENOSPC) is said once, not once per batch', async () => {
    const dir = tempDir();
    symlinkSync('/dev/full', join(dir, 'audit.log'));
    const lines: string[] = [];
    const log = new AuditLog(dir, {}, createLogger({ level: 'debug', write: (l) => lines.push(l) }));
    for (let batch = 0; batch < 5; batch++) {
      for (let i = 0; i < 10; i++) log.record(ev(`e${batch}-${i}`));
      await log.flush();
    }
    await log.close();
    const warnings = lines.filter((l) => /WARN/i.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('writing the audit log');
    expect(warnings[0]).toContain('said once');
    expect(warnings[0]).toContain('ENOSPC');
  });
});
