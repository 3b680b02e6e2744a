// Upstream's DefaultIngressClass admission plugin, on Ingress creates.
//
// Contract: an Ingress created with neither spec.ingressClassName nor the deprecated
// `kubernetes.io/ingress.class` annotation gets the name of the default IngressClass, the one
// annotated `ingressclass.kubernetes.io/is-default-class: "true"`. With several defaults, the
// most recently created wins (equal times: the first name), as upstream chooses since it stopped
// refusing such ingresses. No default: the ingress is left without a class. Updates are never
// touched, so marking a class default later changes no existing ingress.

import type { KindDef } from '../api/kinds.js';
import type { KubeObject } from '../api/types.js';
import type { Store } from '../storage/interface.js';
import { keyPrefix } from './registry.js';

const IS_DEFAULT_CLASS = 'ingressclass.kubernetes.io/is-default-class';
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** The mutation for Ingress creates, reading the classes from `store` (`classes`: the IngressClass kind). */
export function ingressClassDefaulter(store: Store, classes: KindDef): (ingress: KubeObject) => Promise<void> {
  return async (ingress) => {
    const spec = (ingress.spec ?? (ingress.spec = {})) as { ingressClassName?: string | null };
    if (typeof spec.ingressClassName === 'string') return;
    if (ingress.metadata.annotations?.[CLASS_ANNOTATION] !== undefined) return;
    const defaults = (await store.list(keyPrefix(classes, undefined))).items
      .map((kv) => JSON.parse(kv.value) as KubeObject)
      .filter((c) => c.metadata.annotations?.[IS_DEFAULT_CLASS] === 'true');
    if (defaults.length === 0) return;
    const created = (c: KubeObject): number => Date.parse(c.metadata.creationTimestamp ?? '') || 0;
    defaults.sort((a, b) => created(b) - created(a) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    spec.ingressClassName = defaults[0]!.metadata.name ?? '';
  };
}
