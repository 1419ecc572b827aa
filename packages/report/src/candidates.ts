/** What a candidate op name says about the op: MBConv `5x5_MBConv6` / `k5e6`, plain `3x3_conv`, `zero`. */
export interface CandidateInfo {
  readonly name: string;
  readonly kind: 'mbconv' | 'conv' | 'zero' | 'identity' | 'other';
  readonly kernel?: number;
  /** Expand ratio of an MBConv (1 for a plain conv). */
  readonly expand?: number;
}

const KXK = /^(\d+)x(\d+)_([A-Za-z]+?)(\d+)?$/;
const NNI = /^k(\d+)e(\d+)$/;

/** Parses a candidate op name (unknown names come back as kind `other`). */
export function parseCandidate(name: string): CandidateInfo {
  const lower = name.toLowerCase();
  if (lower === 'zero' || lower === 'none') return { name, kind: 'zero' };
  if (lower === 'identity' || lower === 'skip' || lower === 'skip_connect') return { name, kind: 'identity' };
  const nni = NNI.exec(name);
  if (nni) return { name, kind: 'mbconv', kernel: Number(nni[1]), expand: Number(nni[2]) };
  const m = KXK.exec(name);
  if (m) {
    const kernel = Number(m[1]);
    const op = m[3]!.toLowerCase();
    if (op === 'mbconv') return { name, kind: 'mbconv', kernel, expand: m[4] ? Number(m[4]) : 1 };
    if (op === 'conv' || op === 'sepconv' || op === 'dwconv') return { name, kind: 'conv', kernel, expand: 1 };
    return { name, kind: 'other', kernel };
  }
  return { name, kind: 'other' };
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
