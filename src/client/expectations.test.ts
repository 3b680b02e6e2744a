import { describe, expect, it } from 'vitest';
import { FakeClock } from '../util/index.js';
import { ControllerExpectations, UIDTrackingControllerExpectations } from './expectations.js';

describe('ControllerExpectations', () => {
  it('satisfied when none recorded, when all observed, or after the 5 min TTL', () => {
    const c = new FakeClock();
    const e = new ControllerExpectations(c);
    expect(e.satisfiedExpectations('k')).toBe(true);
    e.setExpectations('k', 2, 1);
    expect(e.satisfiedExpectations('k')).toBe(false);
    e.creationObserved('k');
    e.creationObserved('k');
    expect(e.satisfiedExpectations('k')).toBe(false);
    e.deletionObserved('k');
    expect(e.satisfiedExpectations('k')).toBe(true);
    e.expectCreations('k', 1);
    c.advance(5 * 60 * 1000);
    expect(e.satisfiedExpectations('k')).toBe(false);
    c.advance(1);
    expect(e.satisfiedExpectations('k')).toBe(true);
  });
  it('lower on failure; delete clears', () => {
    const e = new ControllerExpectations(new FakeClock());
    e.setExpectations('k', 5, 0);
    e.lowerExpectations('k', 5, 0);
    expect(e.satisfiedExpectations('k')).toBe(true);
    e.raiseExpectations('k', 1, 0);
    expect(e.satisfiedExpectations('k')).toBe(false);
    e.deleteExpectations('k');
    expect(e.getExpectations('k')).toBeUndefined();
  });
  it('UID tracking lowers once per expected key', () => {
    const e = new UIDTrackingControllerExpectations(new FakeClock());
    e.expectDeletionsOf('k', ['ns/a', 'ns/b']);
    e.deletionObservedOf('k', 'ns/a');
    e.deletionObservedOf('k', 'ns/a');
    e.deletionObservedOf('k', 'ns/zzz');
    expect(e.satisfiedExpectations('k')).toBe(false);
    e.deletionObservedOf('k', 'ns/b');
    expect(e.satisfiedExpectations('k')).toBe(true);
  });
});
