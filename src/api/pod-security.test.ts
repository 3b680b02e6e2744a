import { describe, expect, it } from 'vitest';
import { evaluatePodSecurity, forbiddenDetail, goQuote, levelVersionString, podSecurityPolicyOf, type LevelVersion, type PodForSecurity } from './pod-security.js';

const at = (level: LevelVersion['level'], version = 'latest'): LevelVersion => ({ level, version: version === 'latest' ? { latest: true } : { latest: false, minor: Number(version.slice(3)) } });
const detail = (lv: LevelVersion, pod: PodForSecurity) => forbiddenDetail(evaluatePodSecurity(lv, pod));
const pod = (spec: Record<string, unknown>, annotations?: Record<string, string>): PodForSecurity => ({ metadata: annotations ? { annotations } : {}, spec });

/** A pod that meets restricted: what the Pod Security Standards ask of every container. */
const restrictedPod = (): Record<string, unknown> => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'app', image: 'busybox', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }],
  volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'scratch', emptyDir: {} }],
});

describe('Pod Security Standards checks', () => {
  it('a privileged debug DaemonSet pod at restricted: every reason, in the order and words upstream prints them', () => {
    // A kubectl-debug-style node pod, as a FailedCreate event of a restricted namespace lists it.
    const spec = {
      hostNetwork: true,
      hostPID: true,
      containers: [{ name: 'container-00', image: 'busybox', securityContext: { privileged: true, runAsUser: 0 } }],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    };
    expect(detail(at('restricted'), pod(spec))).toBe(
      'host namespaces (hostNetwork=true, hostPID=true), privileged (container "container-00" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (container "container-00" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "container-00" must set securityContext.capabilities.drop=["ALL"]), ' +
        'restricted volume types (volume "host" uses restricted volume type "hostPath"), ' +
        'runAsNonRoot != true (pod or container "container-00" must set securityContext.runAsNonRoot=true), ' +
        'runAsUser=0 (container "container-00" must not set runAsUser=0), ' +
        'seccompProfile (pod or container "container-00" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    // Baseline: the host namespaces, privileged and hostPath only.
    expect(detail(at('baseline'), pod(spec))).toBe(
      'host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "host"), privileged (container "container-00" must not set securityContext.privileged=true)',
    );
    expect(evaluatePodSecurity(at('privileged'), pod(spec))).toEqual([]);
  });

  it('baseline: added capabilities beyond the default set, explicit Unconfined seccomp, host ports, sysctls, AppArmor, SELinux, procMount, hostProcess', () => {
    const spec = {
      securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }, { name: 'net.core.somaxconn', value: '1' }], seLinuxOptions: { type: 'spc_t' } },
      initContainers: [{ name: 'init', image: 'busybox', securityContext: { capabilities: { add: ['SYS_ADMIN', 'CHOWN'] }, procMount: 'Unmasked' } }],
      containers: [
        { name: 'falcon', image: 'x', securityContext: { capabilities: { add: ['SYS_PTRACE', 'NET_ADMIN'] }, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } }, ports: [{ containerPort: 1, hostPort: 8080 }, { containerPort: 2, hostPort: 443 }] },
        { name: 'side', image: 'x', securityContext: { seLinuxOptions: { user: 'u', role: 'r' }, windowsOptions: { hostProcess: true } }, ports: [{ containerPort: 3, hostPort: 8080 }] },
      ],
    };
    expect(evaluatePodSecurity(at('baseline'), pod(spec, { 'container.apparmor.security.beta.kubernetes.io/side': 'unconfined' }))).toEqual([
      { reason: 'forbidden AppArmor profiles', detail: 'container "falcon" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/side="unconfined""' },
      { reason: 'non-default capabilities', detail: 'containers "init", "falcon" must not include "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE" in securityContext.capabilities.add' },
      { reason: 'hostPort', detail: 'containers "falcon", "side" use hostPorts 443, 8080' },
      { reason: 'procMount', detail: 'container "init" must not set securityContext.procMount to "Unmasked"' },
      { reason: 'seLinuxOptions', detail: 'pod and container "side" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set' },
      { reason: 'seccompProfile', detail: 'container "falcon" must not set securityContext.seccompProfile.type to "Unconfined"' },
      { reason: 'forbidden sysctls', detail: 'kernel.msgmax, net.core.somaxconn' },
      { reason: 'hostProcess', detail: 'container "side" must not set securityContext.windowsOptions.hostProcess=true' },
    ]);
  });

  it('restricted accepts a pod that meets it; the pod-level settings stand for every container', () => {
    expect(evaluatePodSecurity(at('restricted'), pod(restrictedPod()))).toEqual([]);
    const explicitFalse = restrictedPod();
    (explicitFalse['containers'] as Array<Record<string, unknown>>).push({ name: 'b', image: 'x', securityContext: { runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
    expect(detail(at('restricted'), pod(explicitFalse))).toBe('runAsNonRoot != true (container "b" must not set securityContext.runAsNonRoot=false)');
    // Ephemeral containers count too (kubectl debug adds them to running pods).
    const debugged = { ...restrictedPod(), ephemeralContainers: [{ name: 'debugger', image: 'busybox' }] };
    expect(detail(at('restricted'), pod(debugged))).toBe(
      'allowPrivilegeEscalation != false (container "debugger" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "debugger" must set securityContext.capabilities.drop=["ALL"])',
    );
  });

  it('versions: each check from the version that brought it; latest and future versions are the newest', () => {
    const spec = {
      securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_reserved_ports', value: '1' }] },
      containers: [{ name: 'c', image: 'x', securityContext: { runAsNonRoot: true, runAsUser: 0, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { add: ['SYS_TIME'] } } }],
    };
    const reasons = (v: string) => evaluatePodSecurity(at('restricted', v), pod(spec)).map((f) => f.reason);
    // Before v1.22 restricted checks added capabilities as baseline does; no runAsUser before v1.23.
    expect(reasons('v1.21')).toEqual(['non-default capabilities', 'forbidden sysctls']);
    expect(reasons('v1.23')).toEqual(['forbidden sysctls', 'unrestricted capabilities', 'runAsUser=0']);
    // ip_local_reserved_ports is allowed from v1.27.
    expect(reasons('v1.27')).toEqual(['unrestricted capabilities', 'runAsUser=0']);
    expect(reasons('latest')).toEqual(reasons('v1.40'));
    // Windows pods skip the Linux-only restricted checks from v1.25.
    const windows = { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'w', image: 'x' }] };
    expect(evaluatePodSecurity(at('restricted', 'v1.24'), pod(windows)).map((f) => f.reason)).toEqual(['allowPrivilegeEscalation != false', 'unrestricted capabilities', 'seccompProfile']);
    expect(evaluatePodSecurity(at('restricted', 'v1.25'), pod(windows))).toEqual([]);
    // The seccomp annotations of v1.0-v1.18.
    expect(detail(at('baseline', 'v1.18'), pod({ containers: [{ name: 'c', image: 'x' }] }, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' }))).toBe(
      'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
  });
});

describe('namespace labels', () => {
  it('parse into a policy; invalid values fail closed for enforce and open for warn and audit', () => {
    const { policy, errors } = podSecurityPolicyOf({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.29', other: 'x' });
    expect([levelVersionString(policy.enforce), levelVersionString(policy.warn), levelVersionString(policy.audit)]).toEqual(['baseline:v1.29', 'baseline:v1.29', 'privileged:latest']);
    expect(errors).toEqual([]);
    // An explicit warn label is kept, whatever enforce says.
    expect(levelVersionString(podSecurityPolicyOf({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'privileged' }).policy.warn)).toBe('privileged:latest');
    const bad = podSecurityPolicyOf({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn': 'loud', 'pod-security.kubernetes.io/audit-version': '1.30' });
    expect([levelVersionString(bad.policy.enforce), levelVersionString(bad.policy.warn), levelVersionString(bad.policy.audit)]).toEqual(['restricted:latest', 'privileged:latest', 'privileged:latest']);
    expect(bad.errors).toEqual([
      { label: 'pod-security.kubernetes.io/enforce', value: 'strict', detail: 'must be one of privileged, baseline, restricted' },
      { label: 'pod-security.kubernetes.io/audit-version', value: '1.30', detail: 'must be "latest" or "v1.x"' },
      { label: 'pod-security.kubernetes.io/warn', value: 'loud', detail: 'must be one of privileged, baseline, restricted' },
    ]);
    expect(podSecurityPolicyOf({ 'pod-security.kubernetes.io/enforce-version': 'v1.01' }).errors.map((e) => e.detail)).toEqual(['must be "latest" or "v1.x"']);
  });

  it('quotes values as Go does', () => {
    expect(goQuote('a"b\\c\n\u0001é')).toBe('"a\\"b\\\\c\\n\\x01é"');
  });
});
