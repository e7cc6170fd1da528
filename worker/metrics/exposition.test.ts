import { describe, expect, it } from 'vitest';
import { formatExposition, histogramSamples } from './exposition.ts';

describe('formatExposition', () => {
  it('writes HELP, TYPE and one line per sample, with labels in the order given', () => {
    const text = formatExposition([
      { name: 'kabar_sessions', help: 'Sessions', type: 'gauge', samples: [{ labels: { status: 'WORKING', reason: 'NONE' }, value: 2 }, { value: 0 }] },
      { name: 'kabar_messages_total', help: 'Messages', type: 'counter', samples: [] },
    ]);
    expect(text).toBe(
      [
        '# HELP kabar_sessions Sessions',
        '# TYPE kabar_sessions gauge',
        'kabar_sessions{status="WORKING",reason="NONE"} 2',
        'kabar_sessions 0',
        '# HELP kabar_messages_total Messages',
        '# TYPE kabar_messages_total counter',
        '',
      ].join('\n'),
    );
  });

  it('escapes backslashes, quotes and newlines in label values and help, and writes infinities and NaN as Prometheus does', () => {
    const text = formatExposition([
      { name: 'x', help: 'a\\b\nc', type: 'gauge', samples: [{ labels: { connector: 'say "hi"\\\n' }, value: Infinity }, { value: -Infinity }, { value: NaN }] },
    ]);
    expect(text.split('\n')).toEqual(['# HELP x a\\\\b\\nc', '# TYPE x gauge', 'x{connector="say \\"hi\\"\\\\\\n"} +Inf', 'x -Inf', 'x NaN', '']);
  });

  it('refuses a metric or label name Prometheus could not parse', () => {
    expect(() => formatExposition([{ name: 'kabar-sessions', help: '', type: 'gauge', samples: [] }])).toThrow(/invalid metric name/);
    expect(() => formatExposition([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow(/invalid label name/);
  });

  it('writes a histogram as cumulative buckets ending in +Inf, then sum and count', () => {
    const text = formatExposition([{ name: 'lag_seconds', help: 'Lag', type: 'histogram', samples: histogramSamples([0.5, 1], [1, 3], 4, 6.25) }]);
    expect(text.split('\n').slice(2)).toEqual([
      'lag_seconds_bucket{le="0.5"} 1',
      'lag_seconds_bucket{le="1"} 3',
      'lag_seconds_bucket{le="+Inf"} 4',
      'lag_seconds_sum 6.25',
      'lag_seconds_count 4',
      '',
    ]);
  });
});
