// ClusterRole aggregation against a real server with its controllers: a ClusterRole labelled
// aggregate-to-edit extends `edit` and, through it, `admin` (the authorizer then allows what it
// grants); a user-defined aggregated role follows its selected roles as they come and go; hand
// edits of an aggregate's rules are put back; and `admin`/`edit`/`view` made by an older server
// without an aggregationRule get it at the next start.
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup, apiCaller, restartTestServer, startTestServer, waitFor, type TestServer } from '../helpers/index.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const controllers = { leaderElection: false, daemonSet: false, nodeLifecycle: false, disruption: false, endpoints: false, endpointSlice: false } as const;
interface Rule { apiGroups?: string[]; resources?: string[]; verbs?: string[] }
interface Role { metadata: { name: string; resourceVersion?: string }; rules?: Rule[]; aggregationRule?: unknown }

describe('ClusterRole aggregation', () => {
  it('aggregates labelled roles into edit and admin, follows selected roles, restores hand edits, and upgrades old bootstrap roles', async () => {
    let ts: TestServer = await startTestServer(cleanup, { controllers });
    const call = apiCaller(() => ts.server.url);
    const role = async (name: string): Promise<Role> => (await call('GET', `${RBAC}/clusterroles/${name}`)).body as Role;
    const grants = (r: Role, resource: string): boolean => (r.rules ?? []).some((x) => x.resources?.includes(resource));

    for (const name of ['admin', 'edit', 'view']) expect((await role(name)).aggregationRule).toBeDefined();
    expect(grants(await role('view'), 'pods')).toBe(true);

    // A CRD's role labelled for edit: edit has it, and admin through edit.
    const widgets = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'create'] };
    expect((await call('POST', `${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'widgets-edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }, rules: [widgets] })).status).toBe(201);
    await waitFor(async () => grants(await role('edit'), 'widgets') && grants(await role('admin'), 'widgets'), { message: 'edit and admin aggregating widgets' });
    expect(grants(await role('view'), 'widgets')).toBe(false);
    // What edit held before is still there.
    expect(grants(await role('edit'), 'secrets')).toBe(true);
    // The authorizer allows it to a namespace editor.
    expect((await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })).status).toBe(201);
    expect((await call('POST', `${RBAC}/namespaces/team/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'dev-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'dev', apiGroup: 'rbac.authorization.k8s.io' }] })).status).toBe(201);
    const review = await call('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'dev', resourceAttributes: { namespace: 'team', group: 'example.com', resource: 'widgets', verb: 'create' } } });
    expect(review.body.status.allowed).toBe(true);

    // A user-defined aggregate follows the roles it selects as they come and go.
    expect((await call('POST', `${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'monitoring' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'mon' } }] } })).status).toBe(201);
    expect((await call('POST', `${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'mon-b', labels: { team: 'mon' } }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] })).status).toBe(201);
    expect((await call('POST', `${RBAC}/clusterroles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'mon-a', labels: { team: 'mon' } }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] })).status).toBe(201);
    // By name (mon-a, then mon-b), each rule once.
    await waitFor(async () => JSON.stringify((await role('monitoring')).rules) === JSON.stringify([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]), { message: 'monitoring aggregating mon-a and mon-b' });
    expect((await call('DELETE', `${RBAC}/clusterroles/mon-a`)).status).toBe(200);
    await waitFor(async () => JSON.stringify((await role('monitoring')).rules) === JSON.stringify([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]), { message: 'monitoring without mon-a' });

    // Rules written by hand into an aggregate are put back.
    const mon = await role('monitoring');
    expect((await call('PUT', `${RBAC}/clusterroles/monitoring`, { ...mon, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] })).status).toBe(200);
    await waitFor(async () => JSON.stringify((await role('monitoring')).rules) === JSON.stringify([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]), { message: 'the hand edit undone' });

    // A cluster made before aggregation: admin without its aggregationRule gets it back at the next start.
    const old = await role('admin');
    delete old.aggregationRule;
    expect((await call('PUT', `${RBAC}/clusterroles/admin`, old)).status).toBe(200);
    expect((await role('admin')).aggregationRule).toBeUndefined();
    ts = await restartTestServer(cleanup, ts, { controllers });
    expect((await role('admin')).aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }] });
    await waitFor(async () => grants(await role('admin'), 'widgets'), { message: 'admin aggregating again' });
  }, 60_000);
});
