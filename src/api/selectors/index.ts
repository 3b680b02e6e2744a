// Label and field selectors: parse once, match fast. Pure logic, no I/O.
export {
  type Selector,
  type LabelOperator,
  type LabelRequirement,
  parseLabelSelector,
  labelSelectorAsSelector,
  labelSelectorToString,
  formatLabelSelector,
  selectorFromSet,
  everything,
  nothing,
  requirementToString,
  parseInt64,
} from './label-selector.js';
export {
  type FieldRequirement,
  type FieldSelector,
  type CustomSelectableFields,
  parseFieldSelector,
  fieldSelectorFromRequirements,
  escapeFieldValue,
  selectableFields,
  convertFieldSelector,
  checkFieldSelector,
} from './field-selector.js';
