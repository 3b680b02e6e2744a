import { describe, expect, it } from 'vitest';
import { fieldErrorString } from '../errors.js';
import type { KubeObject } from '../types.js';
import { validationFor } from './index.js';

const v = validationFor('/LimitRange');

function create(spec: unknown): { obj: any; errors: string[] } {
  const obj = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'n' }, spec } as unknown as KubeObject;
  v.applyDefaults(obj);
  return { obj, errors: v.validateCreate(obj).map(fieldErrorString) };
}

describe('LimitRange', () => {
  it('defaults a Container item\'s limits to its max, its requests to its default limits, then to its min', () => {
    const { obj, errors } = create({
      limits: [
        { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m', 'ephemeral-storage': '1Gi' }, default: { cpu: '500m' } },
        { type: 'Pod', max: { cpu: '4' } },
      ],
    });
    expect(errors).toEqual([]);
    expect(obj.spec.limits[0]).toEqual({
      type: 'Container',
      max: { cpu: '2', memory: '1Gi' },
      min: { cpu: '100m', 'ephemeral-storage': '1Gi' },
      default: { cpu: '500m', memory: '1Gi' },
      defaultRequest: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
    });
    // A Pod item gets no defaults.
    expect(obj.spec.limits[1]).toEqual({ type: 'Pod', max: { cpu: '4' } });
  });

  it('leaves out the defaults it has nothing for, and sorts the ones it fills in by name', () => {
    expect(create({ limits: [{ type: 'Container' }] }).obj.spec.limits[0]).toEqual({ type: 'Container' });
    const filled = create({ limits: [{ type: 'Container', max: { memory: '1Gi', cpu: '1' } }] }).obj.spec.limits[0];
    expect(Object.keys(filled.default)).toEqual(['cpu', 'memory']);
    expect(Object.keys(filled.defaultRequest)).toEqual(['cpu', 'memory']);
  });

  it('names resources as upstream: any standard one for claims and custom types, container resources for Pod and Container items', () => {
    expect(create({ limits: [{ type: 'PersistentVolumeClaim', max: { storage: '1Gi', configmaps: '1' } }, { type: 'example.com/thing', max: { 'example.com/widgets': '2' } }] }).errors).toEqual([]);
    expect(create({ limits: [{ type: 'Pod', max: { foo: '1' } }] }).errors).toEqual([
      'spec.limits[0].max[foo]: Invalid value: foo: must be a standard resource type or fully qualified',
      'spec.limits[0].max[foo]: Invalid value: foo: must be a standard resource for containers',
    ]);
  });

  it('refuses unknown types, repeated types, bad resource names and bounds out of order, in upstream\'s words', () => {
    expect(create({ limits: [{ type: 'Container' }, { type: 'Container' }, { type: 'Node' }, { type: 'example.com/Thing', max: { widgets: '1' } }] }).errors).toEqual([
      'spec.limits[1].type: Duplicate value: "Container"',
      'spec.limits[2].type: Invalid value: "Node": must be a standard limit type or fully qualified',
      'spec.limits[3].max[widgets]: Invalid value: widgets: must be a standard resource type or fully qualified',
    ]);
    // The defaults copy max's pods into default and defaultRequest: upstream reports them there too.
    expect(create({ limits: [{ type: 'Container', max: { cpu: '1', pods: '3' }, min: { cpu: '2' }, default: { cpu: '3' }, defaultRequest: { cpu: '500m' }, maxLimitRequestRatio: { cpu: '500m' } }] }).errors).toEqual([
      'spec.limits[0].max[pods]: Invalid value: pods: must be a standard resource for containers',
      'spec.limits[0].default[pods]: Invalid value: pods: must be a standard resource for containers',
      'spec.limits[0].defaultRequest[pods]: Invalid value: pods: must be a standard resource for containers',
      'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
      'spec.limits[0].defaultRequest[cpu]: Invalid value: "500m": min value 2 is greater than default request value 500m',
      'spec.limits[0].default[cpu]: Invalid value: "1": default value 3 is greater than max value 1',
      'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
    ]);
    expect(create({ limits: [{ type: 'Pod', default: { cpu: '1' }, defaultRequest: { cpu: '1' } }, { type: 'PersistentVolumeClaim', max: { cpu: '1' } }] }).errors).toEqual([
      "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
      "spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
      'spec.limits[1].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
    ]);
    expect(create({ limits: [{ type: 'Container', max: { cpu: '1' }, min: { cpu: '250m' }, maxLimitRequestRatio: { cpu: '5' } }] }).errors).toEqual([
      'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "5": ratio 5 is greater than max/min = 4.000000',
    ]);
    // Resources that cannot be overcommitted need equal default limits and requests.
    expect(create({ limits: [{ type: 'Container', default: { 'hugepages-2Mi': '4Mi' }, defaultRequest: { 'hugepages-2Mi': '2Mi' } }] }).errors).toEqual([
      'spec.limits[0].defaultRequest[hugepages-2Mi]: Invalid value: "2Mi": default value 4Mi must equal to defaultRequest value 2Mi in hugepages-2Mi',
    ]);
    expect(create({ limits: [{ type: 'Container', max: { cpu: 'lots' } }] }).errors[0]).toMatch(/^spec\.limits\[0\]\.max\[cpu\]: Invalid value: "lots": quantities must match the regular expression/);
  });
});
