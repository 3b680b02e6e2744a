import { describe, expect, it } from 'vitest';
import { compileError, evalError, value } from './testing.js';

describe('Kubernetes lists library', () => {
  it('has isSorted, sum, min, max, indexOf, lastIndexOf', () => {
    expect(value('[1, 2, 2, 3].isSorted() && !["b", "a"].isSorted() && [].isSorted()')).toBe(true);
    expect(value('[1, 2, 3].sum()')).toBe(6n);
    expect(value('[1.5, 2.5].sum()')).toBe(4);
    expect(value("[duration('1m'), duration('30s')].sum() == duration('90s')")).toBe(true);
    expect(value('[].sum()')).toBe(0n);
    expect(value('[3, 1, 2].min() + [3, 1, 2].max()')).toBe(4n);
    expect(value("['b', 'a'].min()")).toBe('a');
    expect(evalError('[].max() == 1')).toBe('max called on empty list');
    expect(value('[1, 2, 1].indexOf(1) + [1, 2, 1].lastIndexOf(1) + [1].indexOf(5)')).toBe(1n);
    expect(evalError('[9223372036854775807, 1].sum() > 0')).toBe('integer overflow');
  });
});

describe('Kubernetes regex library', () => {
  it('finds the first and all matches with RE2 semantics', () => {
    expect(value("'abc 123 def 456'.find('[0-9]+')")).toBe('123');
    expect(value("'abc'.find('[0-9]+')")).toBe('');
    expect(value("'abc 123 def 456'.findAll('[0-9]+')")).toEqual(['123', '456']);
    expect(value("'abc 123 def 456'.findAll('[0-9]+', 1)")).toEqual(['123']);
    expect(value("'baaac'.findAll('a*')")).toEqual(['', 'aaa', '']);
  });

  it('fails on patterns that are not RE2', () => {
    expect(evalError("'a'.matches('a' + '(')")).toBe('error parsing regexp: missing closing ): `a(`');
    expect(compileError("'a'.findAll('(?=a)').size() == 1")).toBe('program instantiation failed: error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
  });
});

describe('cel-go extended strings (version 2)', () => {
  it.each([
    ["'hello'.charAt(1)", 'e'],
    ["'hello'.charAt(5)", ''],
    ["'hello mellow'.indexOf('ello')", 1n],
    ["'hello mellow'.indexOf('ello', 2)", 7n],
    ["'hello mellow'.indexOf('')", 0n],
    ["'hello mellow'.lastIndexOf('ello')", 7n],
    ["'hello mellow'.lastIndexOf('ello', 6)", 1n],
    ["'hello mellow'.lastIndexOf('')", 12n],
    ["'TacoCÆt'.lowerAscii()", 'tacocÆt'],
    ["'TacoCæt'.upperAscii()", 'TACOCæT'],
    ["'hello hello'.replace('he', 'we')", 'wello wello'],
    ["'hello hello'.replace('he', 'we', 1)", 'wello hello'],
    ["'abc'.replace('', '_')", '_a_b_c_'],
    ["'a,b,c'.split(',')", ['a', 'b', 'c']],
    ["'a,b,c'.split(',', 2)", ['a', 'b,c']],
    ["'a,b,c'.split(',', 0)", []],
    ["'héj'.split('')", ['h', 'é', 'j']],
    ["'tacocat'.substring(4)", 'cat'],
    ["'tacocat'.substring(0, 4)", 'taco'],
    ["' \\t trim \\n'.trim()", 'trim'],
    ["['a', 'b'].join()", 'ab'],
    ["['a', 'b'].join('-')", 'a-b'],
    ["strings.quote('a\"b\\n')", '"a\\"b\\n"'],
    ["'%s is %d years, %.2f%% sure, %x, %o, %b'.format(['x', 7, 99.5, 255, 8, 5])", 'x is 7 years, 99.50% sure, ff, 10, 101'],
    ["'%s'.format([[1, 'a', 2.5]])", '[1, "a", 2.500000]'],
    ["'%.1f'.format([1234567.89])", '1,234,567.9'],
  ])('%s', (expr, want) => {
    expect(value(expr)).toEqual(want);
  });

  it('fails on indexes out of range', () => {
    expect(evalError("'hello'.charAt(6) == ''")).toBe('index out of range: 6');
    expect(evalError("'abc'.substring(2, 1) == ''")).toBe('invalid substring range. start: 2, end: 1');
    expect(evalError("'abc'.substring(4) == ''")).toBe('index out of range: 4');
    expect(evalError("'abc'.indexOf('a', -1) == 0")).toBe('index out of range: -1');
    expect(evalError("'%d'.format([dyn('a')]) == ''")).toBe('error during formatting: decimal clause can only be used on integers, was given string');
  });
});

describe('cel-go sets', () => {
  it('has contains, equivalent and intersects', () => {
    expect(value('sets.contains([1, 2, 3], [3, 1]) && !sets.contains([1], [2])')).toBe(true);
    expect(value('sets.equivalent([1, 1, 2], [2, 1]) && !sets.equivalent([1], [1, 2])')).toBe(true);
    expect(value('sets.intersects([1, 2], [2, 3]) && !sets.intersects([1], [])')).toBe(true);
  });
});

describe('Kubernetes url library', () => {
  it('parses URLs and reads their parts', () => {
    const u = "url('https://user@example.com:8443/a%20b/c?x=1&x=2&y=#frag')";
    expect(value(`[${u}.getScheme(), ${u}.getHost(), ${u}.getHostname(), ${u}.getPort(), ${u}.getEscapedPath()]`)).toEqual(['https', 'example.com:8443', 'example.com', '8443', '/a%20b/c']);
    expect(value(`${u}.getQuery()`)).toEqual({ x: ['1', '2'], y: [''] });
    expect(value("url('https://[::1]:80/').getHostname()")).toBe('::1');
    expect(value("isURL('https://example.com') && isURL('/absolute/path') && !isURL('relative/path') && !isURL('')")).toBe(true);
  });

  it('fails on strings that are no request URI', () => {
    expect(evalError("url('example.com').getScheme() == ''")).toBe('URL parse error during conversion from string: parse "example.com": invalid URI for request');
  });
});

describe('Kubernetes quantity library', () => {
  it('parses and compares quantities', () => {
    expect(value("quantity('1Gi').isGreaterThan(quantity('1G')) && quantity('500m').isLessThan(quantity('1'))")).toBe(true);
    expect(value("quantity('1k') == quantity('1000') && quantity('1.5Gi').compareTo(quantity('1536Mi')) == 0")).toBe(true);
    expect(value("isQuantity('1.3G') && isQuantity('10000k') && !isQuantity('200K') && !isQuantity('Mi') && !isQuantity('1,3G')")).toBe(true);
    expect(evalError("quantity('200K') == quantity('1')")).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it('computes with quantities', () => {
    expect(value("quantity('50k').add(quantity('20k')) == quantity('70k') && quantity('50k').add(20) == quantity('50020')")).toBe(true);
    expect(value("quantity('50k').sub(20000).asApproximateFloat()")).toBe(30000);
    expect(value("quantity('50k').asInteger()")).toBe(50000n);
    expect(value("quantity('50000000G').isInteger() && !quantity('9999999999999999999999999999999999999G').isInteger() && !quantity('1.5').isInteger()")).toBe(true);
    expect(evalError("quantity('1.5').asInteger() == 1")).toBe('cannot convert value to integer');
    expect(value("sign(quantity('-1m')) + sign(quantity('0')) + sign(quantity('2'))")).toBe(0n);
  });
});

describe('Kubernetes ip and cidr libraries', () => {
  it('parses IP addresses and tells their kinds', () => {
    expect(value("ip('192.168.0.1').family() == 4 && ip('fe80::1').family() == 6")).toBe(true);
    expect(value("ip('127.0.0.1').isLoopback() && ip('::1').isLoopback() && ip('0.0.0.0').isUnspecified()")).toBe(true);
    expect(value("ip('169.254.1.1').isLinkLocalUnicast() && ip('ff02::1').isLinkLocalMulticast() && ip('8.8.8.8').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast()")).toBe(true);
    expect(value("isIP('1.2.3.4') && !isIP('1.2.3') && !isIP('01.2.3.4') && !isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0')")).toBe(true);
    expect(value("string(ip('2001:DB8:0:0:0:0:0:1')) + ' ' + string(ip('1::0:0:1:0:0:0'))")).toBe('2001:db8::1 1::1:0:0:0');
    expect(value("ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1')")).toBe(true);
    expect(value("ip('10.0.0.1') == ip('10.0.0.1') && ip('10.0.0.1') != ip('10.0.0.2')")).toBe(true);
    expect(evalError("ip('1.2.3.4.5').family() == 4")).toBe('IP Address "1.2.3.4.5" parse error during conversion from string: ParseAddr("1.2.3.4.5"): IPv4 address too long');
    expect(evalError("ip('::ffff:1.2.3.4').family() == 4")).toBe('IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed');
  });

  it('parses CIDRs and tests containment', () => {
    expect(value("cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))")).toBe(true);
    expect(value("cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR(cidr('10.0.0.0/8'))")).toBe(true);
    expect(value("cidr('10.1.2.3/8').prefixLength() == 8 && string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8' && cidr('10.1.2.3/8').ip() == ip('10.1.2.3')")).toBe(true);
    expect(value("isCIDR('::1/128') && !isCIDR('10.0.0.0/33') && !isCIDR('10.0.0.0')")).toBe(true);
    expect(value("!cidr('::/0').containsIP('1.2.3.4')")).toBe(true);
  });
});

describe('Kubernetes format library', () => {
  it('validates strings against named formats', () => {
    expect(value("format.dns1123Label().validate('my-name')")).toBe('optional.none()');
    expect(value("format.dns1123Label().validate('My_Name')")).toEqual({ optional: ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"] });
    expect(value("format.named('labelValue').value().validate('ok') == optional.none() && !format.named('nope').hasValue()")).toBe(true);
    expect(value("format.uuid().validate('not-a-uuid').value()")).toEqual(['does not match the UUID format']);
    expect(value("format.dns1123SubdomainPrefix().validate('mysubdomain.prefix.-') == optional.none()")).toBe(true);
    expect(value("format.datetime().validate('2021-01-01T00:00:00Z') == optional.none() && format.date().validate('2021-13-01').hasValue()")).toBe(true);
  });
});
