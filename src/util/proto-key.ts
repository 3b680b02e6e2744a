// `__proto__` as an ordinary key.
//
// Kubernetes data keys may be "__proto__": a ConfigMap's or Secret's data key only has to match
// [-._a-zA-Z0-9]+, and a custom resource with preserved unknown fields keeps any name. JSON.parse
// makes such a key an own property, but JavaScript's `Object.prototype.__proto__` accessor turns
// every later `obj[key] = value` with that key into a change of the object's prototype: the entry
// vanishes from the copy (a decoded ConfigMap lost it), and a patch can point an object's
// prototype at data it sent. Every part that builds objects from a request's keys (decoding,
// defaulting, the three patch types, server-side apply, the CLI's manifest handling) does so by
// plain assignment.
//
// Contract: everynode processes run without the accessor, as under Node's own hardening flag
// `--disable-proto=delete`. Then assignment, `in` and reads treat "__proto__" as any other key;
// `Object.getPrototypeOf`/`setPrototypeOf` and the `{ __proto__: x }` literal syntax are
// unaffected. `removeProtoAccessor` is process-wide and idempotent; the binary calls it first
// in its module body (the modules it imports statically read no input), the API server when it
// starts (so a process embedding it gets it too: a process-wide change, made for every part of
// that process), and the test runner starts every test process with Node's flag.

/** True when `proto` (by default this realm's `Object.prototype`) still has the `__proto__` accessor. */
export function hasProtoAccessor(proto: object = Object.prototype): boolean {
  return Object.prototype.hasOwnProperty.call(proto, '__proto__');
}

/**
 * Removes the `__proto__` accessor from `proto`: by default this realm's `Object.prototype`
 * (see the contract above); another realm's for a test.
 */
export function removeProtoAccessor(proto: object = Object.prototype): void {
  if (hasProtoAccessor(proto)) delete (proto as { __proto__?: unknown }).__proto__;
}
