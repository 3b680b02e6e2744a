// The Linux identity a container's processes run as, from the pod's and the container's
// securityContext, as the kubelet and a CRI runtime (containerd with runc) decide it.
//
// Contracts:
// - A container's own `runAsUser`, `runAsGroup` and `runAsNonRoot` win over the pod's
//   (upstream's DetermineEffectiveSecurityContext); `supplementalGroups` and `fsGroup` are the
//   pod's only.
// - The process runtime has no images: the "image's user" is the agent's own (its uid, and its
//   primary group), and the files an image would carry (/etc/passwd, /etc/group) are the node's.
// - With neither `runAsUser` nor `runAsGroup` the container runs as the agent does, as before
//   this existed (a container runtime runs such a container as the image's user, keeping its
//   groups): nothing changes for the daemons most manifests describe.
// - With either: uid = runAsUser (else the agent's), gid = runAsGroup (else the uid's primary
//   group in /etc/passwd, else 0, as runc), supplementary groups = the uid's groups in /etc/group
//   (containerd's additional gids), then fsGroup, then supplementalGroups; nothing else of the
//   agent's groups is kept.
// - `runAsNonRoot` is checked with the kubelet's words (verifyRunAsNonRoot), and an identity the
//   agent cannot take (it is not root) is refused: both are a ContainerConfigError, so the
//   container waits in CreateContainerConfigError and never runs as someone else.
// - The container's `allowPrivilegeEscalation: false` (no_new_privs) and `capabilities` are
//   applied (containerSecurity) unless it is `privileged`: the agent's capabilities (all of them
//   under root; the process runtime has no default set to start from), none with `drop: [ALL]`,
//   then `add`, then without `drop`, as containerd orders them. A uid other than 0 holds no
//   capability anyway, as in a container.
// - Not applied (documented in the README): seccomp, AppArmor, SELinux, readOnlyRootFilesystem,
//   procMount, sysctls, and a default capability set for containers that ask for none.
import { readFileSync } from 'node:fs';
import type { Container, Pod } from '../api/types.js';
import { ContainerConfigError } from './container-env.js';
import type { LinuxSecurity, ProcessIdentity } from './runtime/interface.js';

/** Who the agent is, and the node's account files (the process runtime's "image"). */
export interface AgentAccounts {
  uid: number;
  gid: number;
  /** The agent's own supplementary groups. */
  groups: number[];
  /** /etc/passwd's text, or '' when there is none. */
  passwd: string;
  /** /etc/group's text, or '' when there is none. */
  group: string;
}

interface SecurityFields {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  fsGroup?: number;
}

function fields(v: unknown): SecurityFields {
  return v !== null && typeof v === 'object' ? (v as SecurityFields) : {};
}

/** upstream's format.Pod: `name_namespace(uid)`. */
function podRef(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

/** The entry of /etc/passwd (`name:x:uid:gid:...`) for `uid`, if any. */
function passwdEntry(passwd: string, uid: number): { name: string; gid: number } | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0]!.startsWith('#')) continue;
    if (Number(f[2]) === uid && f[2] !== '') return { name: f[0]!, gid: Number(f[3]) };
  }
  return undefined;
}

/** The groups of /etc/group (`name:x:gid:user,user`) listing `user` as a member. */
function memberGroups(group: string, user: string): number[] {
  const out: number[] = [];
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || f[0]!.startsWith('#') || f[2] === '') continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid) && f[3]!.split(',').map((s) => s.trim()).includes(user)) out.push(gid);
  }
  return out;
}

/**
 * The identity container `c` of `pod` runs as, or undefined to run as the agent (see the
 * header). Throws ContainerConfigError when `runAsNonRoot` forbids it or the agent cannot take it.
 */
export function containerIdentity(pod: Pod, c: Container, agent: AgentAccounts): ProcessIdentity | undefined {
  const podSc = fields(pod.spec.securityContext);
  const sc = fields(c.securityContext);
  const runAsUser = sc.runAsUser ?? podSc.runAsUser;
  const runAsGroup = sc.runAsGroup ?? podSc.runAsGroup;
  const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
  if (runAsNonRoot === true) {
    if (runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy (pod: ${JSON.stringify(podRef(pod))}, container: ${c.name})`);
    if (runAsUser === undefined && agent.uid === 0) {
      throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (pod: ${JSON.stringify(podRef(pod))}, container: ${c.name})`);
    }
  }
  if (runAsUser === undefined && runAsGroup === undefined) return undefined;
  const uid = runAsUser ?? agent.uid;
  const entry = passwdEntry(agent.passwd, uid);
  const gid = runAsGroup ?? (runAsUser === undefined ? agent.gid : entry?.gid ?? 0);
  const groups: number[] = [];
  const add = (g: number | undefined): void => {
    if (g !== undefined && Number.isInteger(g) && g >= 0 && !groups.includes(g)) groups.push(g);
  };
  if (entry) for (const g of memberGroups(agent.group, entry.name)) add(g);
  add(podSc.fsGroup);
  for (const g of Array.isArray(podSc.supplementalGroups) ? podSc.supplementalGroups : []) add(g);
  if (agent.uid !== 0) {
    // Not root: the agent can start processes only as itself, which is what was asked for when
    // the uid and gid are its own and it holds every group asked for.
    if (uid === agent.uid && gid === agent.gid && groups.every((g) => g === agent.gid || agent.groups.includes(g))) return undefined;
    throw new ContainerConfigError(
      `cannot run as uid ${uid}, gid ${gid}${groups.length > 0 ? `, groups ${groups.join(',')}` : ''}: the node's agent runs as uid ${agent.uid}, not root, and can start processes only as itself`,
    );
  }
  return { uid, gid, groups };
}

/** The agent's identity and the node's account files, read now. */
export function readAgentAccounts(): AgentAccounts {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, groups: process.getgroups?.() ?? [], passwd: read('/etc/passwd'), group: read('/etc/group') };
}

interface ContainerSecurityFields {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: unknown[]; drop?: unknown[] };
}

/** The container's no_new_privs and capabilities (see the header), or undefined when it changes nothing. */
export function containerSecurity(c: Container): LinuxSecurity | undefined {
  const sc = (c.securityContext ?? undefined) as ContainerSecurityFields | undefined;
  if (!sc || sc.privileged === true) return undefined;
  const names = (v: unknown[] | undefined): string[] => (Array.isArray(v) ? v : []).map((n) => String(n).toUpperCase().replace(/^CAP_/, ''));
  const add = names(sc.capabilities?.add);
  const drop = names(sc.capabilities?.drop);
  const out: LinuxSecurity = {};
  if (sc.allowPrivilegeEscalation === false) out.noNewPrivs = true;
  if (drop.includes('ALL')) out.dropAll = true;
  // `add: [ALL]` is every capability, which the agent's processes start with.
  const added = add.filter((n) => n !== 'ALL');
  const dropped = drop.filter((n) => n !== 'ALL');
  if (out.dropAll && added.length > 0) out.add = added;
  if (dropped.length > 0) out.drop = dropped;
  return Object.keys(out).length > 0 ? out : undefined;
}
