import { describe, expect, it } from 'vitest';
import { systemPriorityClassDeletion } from './scheduling.js';

describe('systemPriorityClassDeletion', () => {
  it('forbids deleting the system classes only, whatever a name shares with an object member', () => {
    expect(systemPriorityClassDeletion('system-node-critical')?.code).toBe(403);
    expect(systemPriorityClassDeletion('system-cluster-critical')?.message).toBe('priorityclasses.scheduling.k8s.io "system-cluster-critical" is forbidden: this is a system priority class and cannot be deleted');
    for (const name of ['constructor', 'high', 'system-mine']) expect(systemPriorityClassDeletion(name), name).toBeUndefined();
  });
});
