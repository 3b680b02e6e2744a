// Column-definition builders. Names, types, formats and priorities follow upstream's
// pkg/printers/internalversion column sets; descriptions are our own short wording.

import type { TableColumnDefinition } from '../types.js';

export function col(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

export const nameColumn = (): TableColumnDefinition =>
  col('Name', 'string', 'Name must be unique within a namespace; the identifier of the object.', 0, 'name');

export const ageColumn = (): TableColumnDefinition =>
  col('Age', 'string', 'Time elapsed since metadata.creationTimestamp.');

export const wide = 1;

/** The wide columns of a kind with a pod template: Containers, Images and Selector. */
export const templateColumns = (selectorDescription = 'Label selector for pods.'): TableColumnDefinition[] => [
  col('Containers', 'string', 'Names of each container in the template.', wide),
  col('Images', 'string', 'Images referenced by each container in the template.', wide),
  col('Selector', 'string', selectorDescription, wide),
];
