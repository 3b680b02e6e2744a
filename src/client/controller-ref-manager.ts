// Adoption and release of dependents (upstream controller_ref_manager.go semantics).
//
// claim(objs) returns the objects this controller owns after reconciling ownership:
// - owned by another controller (controller ref UID differs) -> ignored;
// - owned by us and labels match -> claimed (even while we are being deleted);
// - owned by us, labels no longer match, we are not being deleted -> released: a strategic
//   merge patch removes only our ownerReference (NotFound/Invalid answers are ignored);
// - orphan whose labels match, we are not being deleted, it is not being deleted -> adopted: a
//   strategic merge patch adds only our controller ownerReference, with the object's UID as a
//   precondition. Nothing else on the object changes. Before the first adoption, `canAdopt` is
//   called once (upstream: a live GET refusing adoption when the owner is gone/deleting).
// Errors from adoption/release are collected; claim() throws them (aggregated) after the pass.

import type { KubeObject, OwnerReference } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { getControllerOf } from './cache.js';
import { isInvalid, isNotFound } from './errors.js';
import type { LabelMatcher } from './lister.js';
import { apiVersionOf, type ResourceDescriptor } from './resources.js';

export function newControllerRef(owner: KubeObject, ownerResource: Pick<ResourceDescriptor, 'group' | 'version' | 'kind'>): OwnerReference {
  return {
    apiVersion: ownerResource.group ? `${ownerResource.group}/${ownerResource.version}` : ownerResource.version,
    kind: ownerResource.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Strategic merge patch that adds `ref` (ownerReferences merge by uid) with a UID precondition. */
export function adoptPatch(ref: OwnerReference, objUID: string | undefined): unknown {
  return { metadata: { ownerReferences: [ref], uid: objUID } };
}

/** Strategic merge patch that removes the ownerReference with `ownerUID` with a UID precondition. */
export function releasePatch(ownerUID: string, objUID: string | undefined): unknown {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUID }], uid: objUID } };
}

export class ClaimError extends Error {
  constructor(readonly errors: unknown[]) {
    super(errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
    this.name = 'ClaimError';
  }
}

export interface ControllerRefManagerOptions {
  controller: KubeObject;
  /** The owner's resource (for the ownerReference's apiVersion and kind). */
  controllerResource: Pick<ResourceDescriptor, 'group' | 'version' | 'kind'>;
  selector: LabelMatcher;
  /** Called at most once, before the first adoption; throwing refuses every adoption of this pass. */
  canAdopt: () => Promise<void>;
  adopt: (obj: KubeObject, patch: unknown) => Promise<void>;
  release: (obj: KubeObject, patch: unknown) => Promise<void>;
}

export class ControllerRefManager {
  private canAdoptResult: Promise<void> | undefined;

  constructor(private readonly o: ControllerRefManagerOptions) {}

  private canAdoptOnce(): Promise<void> {
    if (!this.canAdoptResult) this.canAdoptResult = this.o.canAdopt();
    return this.canAdoptResult;
  }

  private get ownerDeleting(): boolean {
    return !!this.o.controller.metadata.deletionTimestamp;
  }

  async claim<T extends KubeObject>(objs: T[]): Promise<T[]> {
    const claimed: T[] = [];
    const errors: unknown[] = [];
    const uid = this.o.controller.metadata.uid;
    for (const obj of objs) {
      const ref = getControllerOf(obj);
      const matches = this.o.selector.matches(obj.metadata.labels ?? {});
      try {
        if (ref) {
          if (ref.uid !== uid) continue;
          if (matches) {
            claimed.push(obj);
            continue;
          }
          if (this.ownerDeleting) continue;
          try {
            await this.o.release(obj, releasePatch(uid ?? '', obj.metadata.uid));
          } catch (e) {
            if (!isNotFound(e) && !isInvalid(e)) throw e;
          }
          continue;
        }
        if (this.ownerDeleting || !matches || obj.metadata.deletionTimestamp) continue;
        await this.canAdoptOnce();
        try {
          await this.o.adopt(obj, adoptPatch(newControllerRef(this.o.controller, this.o.controllerResource), obj.metadata.uid));
        } catch (e) {
          if (isNotFound(e)) continue;
          throw e;
        }
        claimed.push(obj);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new ClaimError(errors);
    return claimed;
  }
}

/**
 * The usual wiring: adopt/release through strategic merge patches on `resource` via `client`,
 * canAdopt through a live GET of the owner (refused when gone, recreated with another UID, or
 * being deleted).
 */
export function newClientControllerRefManager(
  client: ApiClient,
  resource: ResourceDescriptor,
  ownerResource: ResourceDescriptor,
  controller: KubeObject,
  selector: LabelMatcher,
): ControllerRefManager {
  const ns = controller.metadata.namespace ?? '';
  const name = controller.metadata.name ?? '';
  return new ControllerRefManager({
    controller,
    controllerResource: ownerResource,
    selector,
    canAdopt: async () => {
      const fresh = await client.get(ownerResource, ns, name);
      if (fresh.metadata.uid !== controller.metadata.uid) {
        throw new Error(`original ${ownerResource.kind} ${ns}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${controller.metadata.uid}`);
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new Error(`${ns}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    },
    adopt: async (obj, patch) => {
      await client.patch(resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '', 'strategic', patch);
    },
    release: async (obj, patch) => {
      await client.patch(resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '', 'strategic', patch);
    },
  });
}

export { apiVersionOf };
