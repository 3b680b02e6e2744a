import { describe, expect, it } from 'vitest';
import { agentMetricsText, cadvisorMetricsText, formatFloat, processMetrics, renderFamilies, resourceMetricsText, type UsageReport } from './metrics.js';

describe('formatFloat (Go shortest %g)', () => {
  it('writes integers and fractions plainly below 1e6, with an exponent from 1e6 up and below 1e-4', () => {
    expect(formatFloat(0)).toBe('0');
    expect(formatFloat(1)).toBe('1');
    expect(formatFloat(13638.443124082)).toBe('13638.443124082');
    expect(formatFloat(999999)).toBe('999999');
    expect(formatFloat(1e6)).toBe('1e+06');
    expect(formatFloat(12345344)).toBe('1.2345344e+07');
    expect(formatFloat(1767225601)).toBe('1.767225601e+09');
    expect(formatFloat(1767225601.5)).toBe('1.7672256015e+09');
    expect(formatFloat(0.0001)).toBe('0.0001');
    expect(formatFloat(0.00001)).toBe('1e-05');
    expect(formatFloat(-2.5e-7)).toBe('-2.5e-07');
    expect(formatFloat(1e21)).toBe('1e+21');
    expect(formatFloat(1.5e300)).toBe('1.5e+300');
    expect(formatFloat(Number.NaN)).toBe('NaN');
    expect(formatFloat(Infinity)).toBe('+Inf');
    expect(formatFloat(-Infinity)).toBe('-Inf');
  });
});

describe('renderFamilies', () => {
  it('sorts families by name, samples by label values, labels by name; escapes; leaves out empty families', () => {
    const text = renderFamilies([
      { name: 'zz_total', help: 'A help with a \\ and a\nnewline', type: 'counter', samples: [{ labels: { b: '2', a: 'y' }, value: 1 }, { labels: { a: 'x', b: 'q"\\\n' }, value: 2, timestampMs: 5 }] },
      { name: 'empty', help: 'never written', type: 'gauge', samples: [] },
      { name: 'aa', help: 'first', type: 'gauge', samples: [{ value: 3 }] },
    ]);
    expect(text).toBe(
      [
        '# HELP aa first',
        '# TYPE aa gauge',
        'aa 3',
        '# HELP zz_total A help with a \\\\ and a\\nnewline',
        '# TYPE zz_total counter',
        'zz_total{a="x",b="q\\"\\\\\\n"} 2 5',
        'zz_total{a="y",b="2"} 1',
        '',
      ].join('\n'),
    );
    expect(renderFamilies([])).toBe('');
  });
});

const report: UsageReport = {
  timestamp: 1_767_225_660_000,
  node: { cpuSeconds: 123456.78, memoryBytes: 2 * 1024 ** 3 },
  containers: [
    { namespace: 'ns', pod: 'web', container: 'app', id: 'process://a1', runtimeName: 'app', image: 'nginx', startedAt: 1_767_225_601_250, cpuSeconds: 1.5, memoryBytes: 40 * 1024 ** 2 },
    { namespace: 'ns', pod: 'web', container: 'sidecar', id: 'process://a2', runtimeName: 'sidecar', image: 'sh', startedAt: 1_767_225_602_000, cpuSeconds: 0.25, memoryBytes: 1024 ** 2 },
    // Not in the sample: no usage line, still its start time.
    { namespace: 'kube-system', pod: 'dns', container: 'coredns', id: 'process://b1', runtimeName: 'coredns', image: 'coredns', startedAt: 1_767_225_000_000 },
  ],
};

describe('resourceMetricsText (the kubelet /metrics/resource)', () => {
  it('writes upstream families, labels and timestamps, with pod sums', () => {
    const text = resourceMetricsText(report);
    expect(text).toBe(
      [
        '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
        '# TYPE container_cpu_usage_seconds_total counter',
        'container_cpu_usage_seconds_total{container="app",namespace="ns",pod="web"} 1.5 1767225660000',
        'container_cpu_usage_seconds_total{container="sidecar",namespace="ns",pod="web"} 0.25 1767225660000',
        '# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes',
        '# TYPE container_memory_working_set_bytes gauge',
        'container_memory_working_set_bytes{container="app",namespace="ns",pod="web"} 4.194304e+07 1767225660000',
        'container_memory_working_set_bytes{container="sidecar",namespace="ns",pod="web"} 1.048576e+06 1767225660000',
        '# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds',
        '# TYPE container_start_time_seconds gauge',
        'container_start_time_seconds{container="app",namespace="ns",pod="web"} 1.76722560125e+09',
        'container_start_time_seconds{container="coredns",namespace="kube-system",pod="dns"} 1.767225e+09',
        'container_start_time_seconds{container="sidecar",namespace="ns",pod="web"} 1.767225602e+09',
        '# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds',
        '# TYPE node_cpu_usage_seconds_total counter',
        'node_cpu_usage_seconds_total 123456.78 1767225660000',
        '# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes',
        '# TYPE node_memory_working_set_bytes gauge',
        'node_memory_working_set_bytes 2.147483648e+09 1767225660000',
        '# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds',
        '# TYPE pod_cpu_usage_seconds_total counter',
        'pod_cpu_usage_seconds_total{namespace="ns",pod="web"} 1.75 1767225660000',
        '# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes',
        '# TYPE pod_memory_working_set_bytes gauge',
        'pod_memory_working_set_bytes{namespace="ns",pod="web"} 4.2991616e+07 1767225660000',
        '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
        '# TYPE resource_scrape_error gauge',
        'resource_scrape_error 0',
        '',
      ].join('\n'),
    );
  });

  it('writes one series per container when a restarted one is listed twice (the one started last)', () => {
    const old = { ...report.containers[0]!, id: 'process://old', startedAt: 1_767_225_000_000, cpuSeconds: 9 };
    const text = resourceMetricsText({ ...report, containers: [old, report.containers[0]!] });
    expect(text.match(/^container_cpu_usage_seconds_total\{/gm)).toHaveLength(1);
    expect(text).toContain('container_cpu_usage_seconds_total{container="app",namespace="ns",pod="web"} 1.5 ');
  });

  it('reports a failed reading as resource_scrape_error 1 and nothing else', () => {
    expect(resourceMetricsText(undefined)).toBe('# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE resource_scrape_error gauge\nresource_scrape_error 1\n');
  });

  it('without /proc figures writes start times and the scrape error only', () => {
    const text = resourceMetricsText({ timestamp: 1, containers: [{ namespace: 'a', pod: 'b', container: 'c', id: 'x://1', runtimeName: 'c', image: 'i', startedAt: 1000 }] });
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(['container_start_time_seconds{container="c",namespace="a",pod="b"} 1', 'resource_scrape_error 0']);
  });
});

describe('cadvisorMetricsText (the kubelet /metrics/cadvisor)', () => {
  it('labels containers as the kubelet does, adds the machine as id="/", writes start times in whole seconds', () => {
    const lines = cadvisorMetricsText(report).split('\n');
    expect(lines).toContain('# TYPE container_cpu_usage_seconds_total counter');
    expect(lines).toContain('container_cpu_usage_seconds_total{container="",cpu="total",id="/",image="",name="",namespace="",pod=""} 123456.78 1767225660000');
    expect(lines).toContain('container_cpu_usage_seconds_total{container="app",cpu="total",id="process://a1",image="nginx",name="app",namespace="ns",pod="web"} 1.5 1767225660000');
    expect(lines).toContain('container_memory_working_set_bytes{container="app",id="process://a1",image="nginx",name="app",namespace="ns",pod="web"} 4.194304e+07 1767225660000');
    expect(lines).toContain('container_memory_rss{container="app",id="process://a1",image="nginx",name="app",namespace="ns",pod="web"} 4.194304e+07 1767225660000');
    expect(lines).toContain('container_start_time_seconds{container="app",id="process://a1",image="nginx",name="app",namespace="ns",pod="web"} 1.767225601e+09');
    // The machine has no measured RSS: no root line there.
    expect(lines.filter((l) => l.startsWith('container_memory_rss{container=""'))).toEqual([]);
    // Nothing measured for the container the sample missed but its start time.
    expect(lines.filter((l) => l.includes('pod="dns"')).map((l) => l.split('{')[0])).toEqual(['container_start_time_seconds']);
    expect(lines).toContain('# HELP container_memory_rss Size of RSS in bytes.');
  });
});

describe('agentMetricsText (the kubelet /metrics, reduced)', () => {
  it('writes running pods and containers by state, and the process figures', () => {
    const text = agentMetricsText({ runningPods: 2, containersByState: { running: 3, exited: 1 }, process: { cpuSeconds: 1.25, residentBytes: 50_000_000, startTimeSeconds: 1_767_225_000.5, openFds: 20 } });
    expect(text).toBe(
      [
        '# HELP kubelet_running_containers [ALPHA] Number of containers currently running',
        '# TYPE kubelet_running_containers gauge',
        'kubelet_running_containers{container_state="exited"} 1',
        'kubelet_running_containers{container_state="running"} 3',
        '# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox',
        '# TYPE kubelet_running_pods gauge',
        'kubelet_running_pods 2',
        '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
        '# TYPE process_cpu_seconds_total counter',
        'process_cpu_seconds_total 1.25',
        '# HELP process_open_fds Number of open file descriptors.',
        '# TYPE process_open_fds gauge',
        'process_open_fds 20',
        '# HELP process_resident_memory_bytes Resident memory size in bytes.',
        '# TYPE process_resident_memory_bytes gauge',
        'process_resident_memory_bytes 5e+07',
        '# HELP process_start_time_seconds [ALPHA] Start time of the process since unix epoch in seconds.',
        '# TYPE process_start_time_seconds gauge',
        'process_start_time_seconds 1.7672250005e+09',
        '',
      ].join('\n'),
    );
  });

  it('writes running 0 on an empty node', () => {
    expect(agentMetricsText({ runningPods: 0, containersByState: {} })).toContain('kubelet_running_containers{container_state="running"} 0\n');
  });

  it('reads this process', () => {
    const p = processMetrics();
    expect(p.residentBytes).toBeGreaterThan(0);
    expect(p.startTimeSeconds).toBeLessThanOrEqual(Date.now() / 1000);
    expect(p.cpuSeconds).toBeGreaterThan(0);
  });
});
