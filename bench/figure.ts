// One row of the results table: a measured figure beside its reference from the same run, their ratio
// and the target, with whatever detail explains the number.

export type Figure = {
  /** e.g. "send latency p50" */
  name: string;
  unit: string;
  ours: number;
  /** What the same work costs without the gateway (or the bare handler), measured in the same run. */
  reference: number | null;
  referenceName: string;
  /** ours / reference. */
  ratio: number | null;
  target: string;
  /** null when the issue sets no target for this row. */
  pass: boolean | null;
  detail?: Record<string, unknown>;
};

export function figure(f: Omit<Figure, 'ratio'>): Figure {
  const ratio = f.reference === null || f.reference === 0 ? null : f.ours / f.reference;
  return { ...f, ratio };
}

export type BenchSettings = {
  quick: boolean;
  /** Repetitions whose median is reported. */
  runs: number;
};
