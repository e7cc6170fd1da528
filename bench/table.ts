// Renders figures as a plain-text table (terminal) and as Markdown (README's Performance section).
import type { Figure } from './figure.ts';

const HEAD = ['figure', 'ours', 'reference', 'ratio', 'target', 'result'];

function number(value: number, unit: string): string {
  const digits = unit === 'ms' && value < 100 ? 2 : unit === 'MB' ? 2 : value < 10 ? 1 : 0;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

function cells(f: Figure): string[] {
  return [
    f.name,
    number(f.ours, f.unit),
    f.reference === null ? '-' : `${number(f.reference, f.unit)} (${f.referenceName})`,
    f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
    f.target,
    f.pass === null ? '-' : f.pass ? 'pass' : 'MISS',
  ];
}

export function textTable(figures: Figure[]): string {
  const rows = [HEAD, ...figures.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(figures: Figure[]): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(HEAD), line(HEAD.map(() => '---')), ...figures.map((f) => line(cells(f)))].join('\n');
}
