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
