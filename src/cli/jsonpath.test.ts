import { describe, expect, it } from 'vitest';
import { executeTemplate, GoTemplateError, parseGoTemplate } from './jsonpath.js';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], n: 3 } },
    { metadata: { name: 'b' }, status: { conditions: [{ type: 'Ready', status: 'False' }], n: 1 } },
  ],
};

describe('kubectl jsonpath templates', () => {
  it('prints fields, wildcards (space-separated) and literals', () => {
    expect(executeTemplate('{.items[0].metadata.name}', list)).toBe('a');
    expect(executeTemplate('{.items[*].metadata.name}', list)).toBe('a b');
    expect(executeTemplate('{.items[-1].metadata.name}{"\\n"}', list)).toBe('b\n');
    expect(executeTemplate('names: {.items[0:2].metadata.name}!', list)).toBe('names: a b!');
    expect(executeTemplate('{.items[0].status}', list)).toBe('{"conditions":[{"type":"Ready","status":"True"}],"n":3}');
  });

  it('ranges, filters, escaped dots, recursive descent and missing keys', () => {
    expect(executeTemplate('{range .items[*]}{.metadata.name}={.status.n}{"\\n"}{end}', list)).toBe('a=3\nb=1\n');
    expect(executeTemplate('{.items[?(@.status.n>2)].metadata.name}', list)).toBe('a');
    expect(executeTemplate('{.items[*].status.conditions[?(@.type=="Ready")].status}', list)).toBe('True False');
    expect(executeTemplate("{.items[0].metadata.labels['app.kubernetes.io/name']}", list)).toBe('x');
    expect(executeTemplate('{.items[0].metadata.labels.app\\.kubernetes\\.io/name}', list)).toBe('x');
    expect(executeTemplate('{..name}', list)).toBe('a b');
    expect(executeTemplate('{.nope.deeper}', list)).toBe('');
    expect(executeTemplate('.items[1].metadata.name', list)).toBe('b');
  });

  it('reads `range` as kubectl\'s identifier: no space is needed before the path', () => {
    expect(executeTemplate('{range.items[*]}{.metadata.name}{"\\n"}{end}', list)).toBe('a\nb\n');
    expect(executeTemplate('{range@.items[*]}{.metadata.name},{end}', list)).toBe('a,b,');
  });

  it('rejects broken templates', () => {
    expect(() => executeTemplate('{range .items[*]}{.x}', list)).toThrow(/without \{end\}/);
    expect(() => executeTemplate('{.items[0}', list)).toThrow();
  });
});

describe('Go templates (-o go-template), compared with kubectl 1.32', () => {
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'plain', generation: 2, labels: { a: 'b' } },
    spec: { template: { spec: { containers: [{ name: 'main' }], terminationGracePeriodSeconds: 30 } } },
    status: { numberReady: 2, observedGeneration: 2 },
  };
  const run = (t: string, data: unknown = ds) => parseGoTemplate(t).execute(data);

  it('prints fields, missing keys, ints and floats, maps, and the functions as Go does', () => {
    expect(run('{{index .metadata.labels "nope"}}|{{.metadata.nope}}|{{.spec.template.spec.terminationGracePeriodSeconds}}|{{printf "%d" .metadata.generation}}|{{len .metadata.name}}|{{.status}}')).toBe(
      '<no value>|<no value>|30|2|5|map[numberReady:2 observedGeneration:2]',
    );
    expect(run('{{range .metadata.labels}}{{.}} {{end}}{{range $k, $v := .metadata.labels}}{{$k}}={{$v}};{{end}}{{printf "%5.2f|%q|%v|%s" 3.14159 "a" .metadata.labels .metadata.generation}}')).toBe(
      'b a=b; 3.14|"a"|map[a:b]|%!s(int64=2)',
    );
    expect(run('{{- /* c */ -}}  {{ "x" -}}  y {{exists . "metadata" "name"}} {{base64decode "aGk="}} {{print 1 2 "a" "b" 3}} {{println "z"}}')).toBe('xy true hi 1 2ab3 z\n');
    expect(run('{{.metadata.name | printf "%s-x"}}{{"\\n"}}{{$x := .metadata.name}}{{$x}}{{with .metadata.labels}}{{.a}}{{else}}none{{end}}{{range $i, $c := .spec.template.spec.containers}}{{$i}}:{{$c.name}}{{end}}{{printf "%v %d %s %q %x %t %5s|%-5s|" 1.5 3 "s" "q\\"" 255 true "ab" "cd"}}{{printf "%d %d"}} {{printf "%d" 1 2}}')).toBe(
      'plain-x\nplainb0:main1.5 3 s "q\\"" ff true    ab|cd   |%!d(MISSING) %!d(MISSING) 1%!(EXTRA int=2)',
    );
    expect(run('{{1000000.0}} {{0.00001}} {{1.5e7}} {{123456.0}} {{-0.0}}')).toBe('1e+06 1e-05 1.5e+07 123456 -0');
    expect(run('{{if eq .metadata.generation 2}}two{{else if gt .metadata.generation 2}}more{{else}}less{{end}} {{if and .metadata.labels (not .metadata.nope)}}ok{{end}} {{.metadata.nope.b}}')).toBe('two ok <no value>');
    expect(run('{{range .items}}{{.metadata.name}}{{if eq .metadata.name "b"}}{{break}}{{end}},{{else}}none{{end}}', { items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }, { metadata: { name: 'c' } }] })).toBe('a,b');
    expect(run('{{range .items}}x{{else}}none{{end}}', { items: [] })).toBe('none');
  });

  it('prints a null field as <no value> (kubectl 1.32 on creationTimestamp: null), but <nil> inside a map or through printf', () => {
    const cm = { metadata: { name: 'x', creationTimestamp: null } };
    expect(run('[{{.metadata.creationTimestamp}}] [{{.metadata}}] [{{index .metadata "creationTimestamp"}}] [{{with .metadata.creationTimestamp}}set{{else}}unset{{end}}] [{{printf "%v" .metadata.creationTimestamp}}]', cm)).toBe(
      '[<no value>] [map[creationTimestamp:<nil> name:x]] [<no value>] [unset] [<nil>]',
    );
  });

  it('fails as text/template does, at the node and with its message', () => {
    const failure = (t: string): string => {
      try {
        run(t);
      } catch (e) {
        if (e instanceof GoTemplateError) return e.message;
      }
      return 'no error';
    };
    expect(failure('{{.metadata.name.x}}')).toBe('template: output:1:11: executing "output" at <.metadata.name.x>: can\'t evaluate field x in type interface {}');
    expect(failure('{{.metadata.nope.b}}|{{.metadata.generation.x}}')).toBe('template: output:1:32: executing "output" at <.metadata.generation.x>: can\'t evaluate field x in type interface {}');
    expect(failure('{{index .metadata.labels 1}}')).toBe('template: output:1:2: executing "output" at <index .metadata.labels 1>: error calling index: value has type int; should be string');
    expect(failure('{{if eq .metadata.generation 2.0}}x{{end}}')).toBe('template: output:1:5: executing "output" at <eq .metadata.generation 2.0>: error calling eq: incompatible types for comparison');
    expect(failure('{{len 3}}')).toBe('template: output:1:2: executing "output" at <len 3>: error calling len: len of type int');
    expect(failure('{{range .metadata.name}}{{end}}')).toBe('template: output:1:17: executing "output" at <.metadata.name>: range can\'t iterate over plain');
    expect(failure('{{foo}}')).toBe('template: output:1: function "foo" not defined');
    expect(failure('{{if}}x{{end}}')).toBe('template: output:1: missing value for if');
    expect(failure('{{range .items}}')).toBe('template: output:1: unexpected EOF');
    expect(failure('{{end}}')).toBe('template: output:1: unexpected {{end}}');
    expect(failure('{{.a b}}')).toBe('template: output:1: function "b" not defined');
    expect(failure('{{"abc}}')).toBe('template: output:1: unterminated quoted string');
    expect(failure('{{.metadata.name')).toBe('template: output:1: unclosed action');
  });
});
