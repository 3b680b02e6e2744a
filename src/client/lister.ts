// Listers: read-only, typed views over an informer's Indexer. Results are cached instances
// (see cache.ts: never mutate them).

import type { KubeObject } from '../api/types.js';
import { type Indexer, namespaceIndex } from './cache.js';

/** Anything that can decide whether a label set is selected (src/api/selectors' Selector fits). */
export interface LabelMatcher {
  matches(labels: Record<string, string>): boolean;
}

function filter<T extends KubeObject>(objs: T[], selector?: LabelMatcher): T[] {
  return selector ? objs.filter((o) => selector.matches(o.metadata.labels ?? {})) : objs;
}

export class NamespaceLister<T extends KubeObject> {
  constructor(
    private readonly indexer: Indexer<T>,
    private readonly namespace: string,
  ) {}

  list(selector?: LabelMatcher): T[] {
    const objs = this.indexer.hasIndex(namespaceIndex)
      ? this.indexer.byIndex(namespaceIndex, this.namespace)
      : this.indexer.list().filter((o) => (o.metadata.namespace ?? '') === this.namespace);
    return filter(objs, selector);
  }

  get(name: string): T | undefined {
    return this.indexer.getByKey(this.namespace ? `${this.namespace}/${name}` : name);
  }
}

export class Lister<T extends KubeObject> {
  constructor(readonly indexer: Indexer<T>) {}

  /** All objects (every namespace). */
  list(selector?: LabelMatcher): T[] {
    return filter(this.indexer.list(), selector);
  }

  /** Cluster-scoped get by name. */
  get(name: string): T | undefined {
    return this.indexer.getByKey(name);
  }

  namespace(namespace: string): NamespaceLister<T> {
    return new NamespaceLister(this.indexer, namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexer.byIndex(indexName, value);
  }
}
