// Required node affinity, shared by every part that places or admits pods (the DaemonSet
// controller, the node agent's admission): upstream's nodeSelector + RequiredNodeAffinity match.
// Invalid requirements never match; an empty term matches nothing; terms are ORed, the
// expressions of a term ANDed; matchFields knows only `metadata.name` with In/NotIn.

import { parseInt64 } from './selectors/index.js';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from './types.js';

/** The node field key usable in `matchFields`. */
export const nodeFieldSelectorKeyNodeName = 'metadata.name';


/** One requirement against a value map (labels, or fields for matchFields). Invalid requirements never match. */
function requirementMatches(r: NodeSelectorRequirement, values: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(values, r.key);
  const v = values[r.key];
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return vals.length > 0 && has && vals.includes(v!);
    case 'NotIn':
      return vals.length > 0 && (!has || !vals.includes(v!));
    case 'Exists':
      return vals.length === 0 && has;
    case 'DoesNotExist':
      return vals.length === 0 && !has;
    case 'Gt':
    case 'Lt': {
      if (vals.length !== 1) return false;
      // Both sides as upstream's label requirement reads them (strconv.ParseInt: optional sign,
      // int64 range, compared exactly, not as doubles).
      const want = parseInt64(vals[0]!);
      const got = v === undefined ? undefined : parseInt64(v);
      if (want === undefined || got === undefined) return false;
      return r.operator === 'Gt' ? got > want : got < want;
    }
    default:
      return false;
  }
}

/** A term matches when all its label expressions and field expressions match; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  if (!exprs.every((r) => requirementMatches(r, labels))) return false;
  const fieldValues: Record<string, string> = { [nodeFieldSelectorKeyNodeName]: node.metadata.name ?? '' };
  return fields.every((r) => r.key === nodeFieldSelectorKeyNodeName && (r.operator === 'In' || r.operator === 'NotIn') && requirementMatches(r, fieldValues));
}

/** nodeSelector AND required node affinity (terms ORed). */
export function podMatchesNodeSelectorAndAffinityTerms(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!req) return true;
  return (req.nodeSelectorTerms ?? []).some((t) => nodeSelectorTermMatches(t, node));
}
