// Prints a results file as the README's Performance section: the table and the command that produced it.
//   node bench/markdown.ts [bench/results/baseline.json]
import { readFileSync } from 'node:fs';
import type { Figure } from './figure.ts';
import type { Machine } from './machine.ts';
import { markdownTable } from './table.ts';

const file = process.argv[2] ?? new URL('./results/latest.json', import.meta.url).pathname;
const result = JSON.parse(readFileSync(file, 'utf8')) as { command: string; startedAt: string; machine: Machine; figures: Figure[] };
const m = result.machine;
console.log(`## Performance

Measured with \`${result.command}\` on ${m.cpuModel} (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node},
${result.startedAt.slice(0, 10)}; everything on loopback, against the WhatsApp simulator. Ratios are ours / reference,
each reference measured in the same run; latencies are medians of per-run percentiles. See \`bench/README.md\`.

${markdownTable(result.figures)}`);
