// Prometheus text exposition format 0.0.4, written by hand: prom-client leans on Node's process and timers,
// and the Worker's metrics are read from Turso and the hubs on each scrape anyway, so a registry holds nothing.
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;

export type Sample = {
  labels?: Labels;
  value: number;
  /** Appended to the family's name: `_bucket`, `_sum`, `_count` of a histogram. */
  suffix?: string;
};

export type MetricFamily = {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: Sample[];
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [name] of entries) if (!LABEL_NAME.test(name)) throw new Error(`invalid label name ${JSON.stringify(name)}`);
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

/** The families as one exposition; a bad metric or label name is our bug, so it throws rather than emit garbage. */
export function formatExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** A histogram's samples from its upper bounds (seconds, ascending), the count at or under each, the total and the sum. */
export function histogramSamples(bounds: readonly number[], cumulative: readonly number[], count: number, sum: number, labels: Labels = {}): Sample[] {
  return [
    ...bounds.map((le, i) => ({ suffix: '_bucket', labels: { ...labels, le: String(le) }, value: cumulative[i] ?? 0 })),
    { suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: count },
    { suffix: '_sum', labels, value: sum },
    { suffix: '_count', labels, value: count },
  ];
}
