// EVERYNODE_LOG_LEVEL: a level in any case is taken; anything else is said once and info is used.
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

const saved = process.env.EVERYNODE_LOG_LEVEL;
afterEach(() => {
  if (saved === undefined) delete process.env.EVERYNODE_LOG_LEVEL;
  else process.env.EVERYNODE_LOG_LEVEL = saved;
});

function linesOf(level?: string): string[] {
  if (level === undefined) delete process.env.EVERYNODE_LOG_LEVEL;
  else process.env.EVERYNODE_LOG_LEVEL = level;
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l.trimEnd()) });
  log.debug('d');
  log.info('i');
  log.warn('w');
  return lines.map((l) => l.replace(/^\S+ /, ''));
}

describe('EVERYNODE_LOG_LEVEL', () => {
  it('takes a level in any case', () => {
    expect(linesOf('DEBUG')).toEqual(['DEBUG d', 'INFO i', 'WARN w']);
    expect(linesOf('warn')).toEqual(['WARN w']);
    expect(linesOf(undefined)).toEqual(['INFO i', 'WARN w']);
  });

  it('says once that a value names no level, and logs at info', () => {
    expect(linesOf('verbose')).toEqual(['WARN EVERYNODE_LOG_LEVEL="verbose" is not a level (debug, info, warn, error or silent): logging at info', 'INFO i', 'WARN w']);
    expect(linesOf('toString')).toEqual(['INFO i', 'WARN w']);
  });
});
