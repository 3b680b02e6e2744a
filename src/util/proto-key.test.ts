import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { hasProtoAccessor, removeProtoAccessor } from './proto-key.js';

describe('removeProtoAccessor', () => {
  it('makes "__proto__" an ordinary key for assignment, `in` and reads, and is idempotent', () => {
    const ctx = vm.createContext({});
    // Test processes run with --disable-proto=delete, which new contexts inherit: give this one
    // the standard accessor back (as the language defines it) first.
    vm.runInContext(`if (!Object.prototype.hasOwnProperty('__proto__')) Object.defineProperty(Object.prototype, '__proto__', {
      configurable: true,
      get() { return Object.getPrototypeOf(this); },
      set(p) { if ((typeof p === 'object' || typeof p === 'function') && Object(this) === this) Object.setPrototypeOf(this, p); },
    })`, ctx);
    const proto = vm.runInContext('Object.prototype', ctx) as object;
    const probe = `(() => {
      const src = JSON.parse('{"__proto__":{"x":1},"a":"b"}');
      const copy = {};
      for (const k of Object.keys(src)) copy[k] = src[k];
      return JSON.stringify({ keys: Object.keys(copy), protoIsObject: Object.getPrototypeOf(copy) === Object.prototype, inEmpty: '__proto__' in {}, x: copy.x === undefined })
    })()`;
    // With the accessor the copy loses the entry and inherits from the data instead.
    expect(hasProtoAccessor(proto)).toBe(true);
    expect(JSON.parse(vm.runInContext(probe, ctx) as string)).toEqual({ keys: ['a'], protoIsObject: false, inEmpty: true, x: false });
    removeProtoAccessor(proto);
    removeProtoAccessor(proto);
    expect(hasProtoAccessor(proto)).toBe(false);
    expect(JSON.parse(vm.runInContext(probe, ctx) as string)).toEqual({ keys: ['__proto__', 'a'], protoIsObject: true, inEmpty: false, x: true });
    // Prototypes still work through the standard functions and the literal syntax.
    expect(vm.runInContext('Object.getPrototypeOf({ __proto__: Array.prototype }) === Array.prototype', ctx)).toBe(true);
  });

  it('holds in the test processes, as in every everynode process', () => {
    expect(hasProtoAccessor()).toBe(false);
  });
});
