import type { CandidateDescription } from '@proxyless/core';

/** What a block box shows of a candidate: the space's description stored in `architecture.json`. */
export type CandidateInfo = CandidateDescription;

/**
 * The stored description of a label's chosen candidate (`candidateDescriptions` of
 * `architecture.json`, written from the space); a run written before descriptions were stored shows
 * the bare name.
 */
export function candidateInfo(descriptions: unknown, label: string, op: string): CandidateInfo {
  const d = typeof descriptions === 'object' && descriptions !== null ? (descriptions as Record<string, unknown>)[label] : undefined;
  if (typeof d === 'object' && d !== null && (d as { name?: unknown }).name === op && typeof (d as { kind?: unknown }).kind === 'string') return d as CandidateInfo;
  return { name: op, kind: 'other' };
}

/** Short text for a block box: `K5 E6`, `K3 conv`, `skip`. */
export function shortLabel(c: CandidateInfo): string {
  switch (c.kind) {
    case 'mbconv':
      return `K${c.kernel} E${c.expand}`;
    case 'conv':
      return `K${c.kernel} conv`;
    case 'zero':
    case 'identity':
      return 'skip';
    default:
      return c.kernel ? `K${c.kernel} ${c.name}` : c.name;
  }
}
