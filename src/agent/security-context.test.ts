import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { ContainerConfigError } from './container-env.js';
import { containerIdentity, containerSecurity, type AgentAccounts } from './security-context.js';

const passwd = ['root:x:0:0:root:/root:/bin/bash', '# a comment', 'daemon:x:1:1::/:/usr/sbin/nologin', 'app:x:1500:1600::/home/app:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'].join('\n');
const group = ['root:x:0:', 'adm:x:4:app,syslog', 'video:x:44:', 'docker:x:999:syslog, app', 'app:x:1600:'].join('\n');
const root: AgentAccounts = { uid: 0, gid: 0, groups: [0], passwd, group };
const user: AgentAccounts = { uid: 1500, gid: 1600, groups: [1600, 4, 999], passwd, group };

function pod(podSc: Record<string, unknown> | undefined, sc?: Record<string, unknown>): { pod: Pod; c: Container } {
  const c: Container = { name: 'app', image: 'x', ...(sc ? { securityContext: sc } : {}) };
  return { pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u-1' }, spec: { containers: [c], ...(podSc ? { securityContext: podSc } : {}) } }, c };
}

function identity(agent: AgentAccounts, podSc: Record<string, unknown> | undefined, sc?: Record<string, unknown>) {
  const { pod: p, c } = pod(podSc, sc);
  return containerIdentity(p, c, agent);
}

function refusal(agent: AgentAccounts, podSc: Record<string, unknown> | undefined, sc?: Record<string, unknown>): string {
  try {
    identity(agent, podSc, sc);
  } catch (err) {
    expect(err).toBeInstanceOf(ContainerConfigError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('containerIdentity', () => {
  it('runs as the agent when neither runAsUser nor runAsGroup is set, even with groups asked for', () => {
    expect(identity(root, undefined)).toBeUndefined();
    expect(identity(root, { fsGroup: 5, supplementalGroups: [6] }, { runAsNonRoot: false })).toBeUndefined();
  });

  it("takes the container's runAsUser and runAsGroup over the pod's", () => {
    expect(identity(root, { runAsUser: 1, runAsGroup: 2 }, { runAsUser: 1500 })).toEqual({ uid: 1500, gid: 2, groups: [4, 999] });
    expect(identity(root, { runAsUser: 1, runAsGroup: 2 }, { runAsGroup: 7 })).toEqual({ uid: 1, gid: 7, groups: [] });
  });

  it('gives a uid without runAsGroup its primary group from /etc/passwd, else 0 (as runc)', () => {
    expect(identity(root, { runAsUser: 65534 })).toEqual({ uid: 65534, gid: 65534, groups: [] });
    expect(identity(root, { runAsUser: 4242 })).toEqual({ uid: 4242, gid: 0, groups: [] });
  });

  it("keeps the agent's uid with only runAsGroup", () => {
    expect(identity(root, { runAsGroup: 44 })).toEqual({ uid: 0, gid: 44, groups: [] });
  });

  it("adds the user's /etc/group memberships, then fsGroup, then supplementalGroups, without repeats", () => {
    expect(identity(root, { runAsUser: 1500, fsGroup: 2000, supplementalGroups: [3000, 4, 2000] })).toEqual({ uid: 1500, gid: 1600, groups: [4, 999, 2000, 3000] });
  });

  it("refuses runAsNonRoot with runAsUser 0, in the kubelet's words", () => {
    expect(refusal(root, { runAsNonRoot: true }, { runAsUser: 0 })).toBe(`container's runAsUser breaks non-root policy (pod: "p_ns(u-1)", container: app)`);
    // The container's runAsNonRoot wins over the pod's.
    expect(refusal(user, { runAsNonRoot: false, runAsUser: 0 }, { runAsNonRoot: true })).toBe(`container's runAsUser breaks non-root policy (pod: "p_ns(u-1)", container: app)`);
    expect(identity(root, { runAsNonRoot: true }, { runAsNonRoot: false, runAsUser: 0 })).toEqual({ uid: 0, gid: 0, groups: [] });
  });

  it('refuses runAsNonRoot without runAsUser where the agent (the "image user") is root', () => {
    expect(refusal(root, { runAsNonRoot: true })).toBe(`container has runAsNonRoot and image will run as root (pod: "p_ns(u-1)", container: app)`);
    expect(identity(user, { runAsNonRoot: true })).toBeUndefined();
    expect(identity(root, { runAsNonRoot: true, runAsUser: 65534 })).toEqual({ uid: 65534, gid: 65534, groups: [] });
  });

  it('an agent that is not root runs what asks for its own identity as itself, and refuses any other', () => {
    expect(identity(user, { runAsUser: 1500 })).toBeUndefined();
    expect(identity(user, { runAsUser: 1500, runAsGroup: 1600, supplementalGroups: [999] })).toBeUndefined();
    expect(refusal(user, { runAsUser: 65534 })).toBe('cannot run as uid 65534, gid 65534: the node\'s agent runs as uid 1500, not root, and can start processes only as itself');
    expect(refusal(user, { runAsUser: 1500, supplementalGroups: [44] })).toMatch(/^cannot run as uid 1500, gid 1600, groups 4,999,44: /);
  });
});

describe('containerSecurity', () => {
  const sec = (sc?: Record<string, unknown>) => containerSecurity({ name: 'c', ...(sc ? { securityContext: sc } : {}) });
  it('maps allowPrivilegeEscalation false to no_new_privs and capabilities to a bounding set, as containerd orders add and drop', () => {
    expect(sec()).toBeUndefined();
    expect(sec({ runAsUser: 1 })).toBeUndefined();
    expect(sec({ allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] } })).toBeUndefined();
    expect(sec({ allowPrivilegeEscalation: false })).toEqual({ noNewPrivs: true });
    expect(sec({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'cap_sys_time'] } })).toEqual({ dropAll: true, add: ['NET_BIND_SERVICE', 'SYS_TIME'] });
    expect(sec({ capabilities: { drop: ['NET_RAW', 'CAP_SYS_ADMIN'], add: ['ALL'] } })).toEqual({ drop: ['NET_RAW', 'SYS_ADMIN'] });
    expect(sec({ capabilities: { drop: ['all'], add: ['ALL'] } })).toEqual({ dropAll: true });
  });

  it('leaves a privileged container as the agent is', () => {
    expect(sec({ privileged: true, capabilities: { drop: ['ALL'] } })).toBeUndefined();
  });
});
