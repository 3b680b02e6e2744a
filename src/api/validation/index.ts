// Validation and defaulting for every served kind (upstream rules and messages).
// PLACEHOLDER: the validation module replaces this file's body; the signatures are the contract.
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../types.js';

export interface KindValidation {
  /** Applies upstream defaults in place (decode-time defaulting, create and update). */
  applyDefaults(obj: KubeObject): void;
  /** Validates a new object (after defaulting). */
  validateCreate(obj: KubeObject): FieldError[];
  /** Validates an update of the main resource (after defaulting); `old` is the stored object. */
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Validates a write through the /status subresource. */
  validateStatusUpdate(obj: KubeObject, old: KubeObject): FieldError[];
}

/** Key: `<group>/<Kind>`, '' group for core, e.g. 'apps/DaemonSet', '/Pod'. */
export function validationFor(_groupKind: string): KindValidation {
  return { applyDefaults() {}, validateCreate: () => [], validateUpdate: () => [], validateStatusUpdate: () => [] };
}
