// The annotations that mark a StorageClass as the cluster's default (upstream's
// storageutil.IsDefaultAnnotation): the GA one, and the beta one older manifests still carry.

export const defaultStorageClassAnnotations = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'] as const;

/** Whether a StorageClass with these annotations is a default class (either annotation "true"). */
export function isDefaultStorageClass(annotations: Record<string, unknown> | undefined): boolean {
  return defaultStorageClassAnnotations.some((a) => annotations?.[a] === 'true');
}
