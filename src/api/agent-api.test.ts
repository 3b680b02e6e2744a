import { describe, expect, it } from 'vitest';
import { EXEC_RESIZE, EXEC_STDIN, ExecFrameDecoder, ResizeDecoder, execFrame, terminalSizeOf } from './agent-api.js';

describe('exec frames', () => {
  it('decodes frames split anywhere, empty ones included', () => {
    const bytes = Buffer.concat([execFrame(EXEC_STDIN, Buffer.from('ab')), execFrame(EXEC_RESIZE, Buffer.from('{}')), execFrame(EXEC_STDIN, Buffer.alloc(0))]);
    const d = new ExecFrameDecoder(1024);
    const got: string[] = [];
    for (let i = 0; i < bytes.length; i += 3) for (const f of d.push(bytes.subarray(i, i + 3))) got.push(`${f.channel}:${f.payload.toString()}`);
    expect(got).toEqual(['0:ab', '4:{}', '0:']);
  });

  it('refuses a frame longer than the bound', () => {
    expect(() => new ExecFrameDecoder(4).push(execFrame(EXEC_STDIN, Buffer.from('12345')))).toThrow(/exceeds 4/);
  });
});

describe('terminal sizes', () => {
  it('reads kubectl TerminalSize JSON, back to back and split anywhere, dropping bad ones', () => {
    const d = new ResizeDecoder();
    expect(d.push('{"Width":80,"Height":24}')).toEqual([{ cols: 80, rows: 24 }]);
    expect(d.push('{"Width":100,')).toEqual([]);
    expect(d.push('"Height":30}\n{"Width":0,"Height":5}{"Width":1.5,"Height":5}{bad}{"Width":120,"Height":40}')).toEqual([
      { cols: 100, rows: 30 },
      { cols: 120, rows: 40 },
    ]);
    expect(d.push(`{${' '.repeat(5000)}`)).toEqual([]);
    expect(d.push('"Width":1,"Height":1}{"Width":2,"Height":2}')).toEqual([{ cols: 2, rows: 2 }]); // the overlong fragment was dropped
  });

  it('bounds each dimension to 16 bits', () => {
    expect(terminalSizeOf('{"Width":65535,"Height":1}')).toEqual({ cols: 65535, rows: 1 });
    expect(terminalSizeOf('{"Width":65536,"Height":1}')).toBeUndefined();
    expect(terminalSizeOf('null')).toBeUndefined();
  });

  it('matches the keys regardless of case, as Go decodes the untagged struct (the JavaScript client sends lower case)', () => {
    expect(terminalSizeOf('{"height":45,"width":123}')).toEqual({ cols: 123, rows: 45 });
    expect(terminalSizeOf('{"WIDTH":80,"hEiGhT":24}')).toEqual({ cols: 80, rows: 24 });
    expect(terminalSizeOf('{"width":80}')).toBeUndefined();
    expect(terminalSizeOf('[80,24]')).toBeUndefined();
  });
});
