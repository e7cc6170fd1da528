import { describe, expect, it } from 'vitest';
import { bindArguments } from './arguments.ts';
import { StatementError } from './errors.ts';
import type { Value } from './protocol.ts';

const text = (value: string): Value => ({ type: 'text', value });
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof StatementError ? error.code : 'not a StatementError';
  }
  return 'no error';
};

describe('bindArguments', () => {
  it('fills nameless and numbered slots from positional values', () => {
    const bound = bindArguments([null, null, '?3'], [text('a'), text('b'), text('c')], [], false);
    expect(bound).toEqual(['a', 'b', 'c']);
    expect(bindArguments(['?2', '?1'], [text('a'), text('b')], [], false)).toEqual(['b', 'a']);
  });

  it('looks named values up with and without the prefix', () => {
    const bound = bindArguments([':a', '@b'], [], [{ name: ':a', value: text('x') }, { name: 'b', value: text('y') }], false);
    expect(bound).toEqual(['x', 'y']);
  });

  it('decodes every value type', () => {
    const bound = bindArguments([null, null, null, null, null], [
      { type: 'null' }, { type: 'integer', value: '-9223372036854775808' }, { type: 'float', value: 1.5 },
      text('t'), { type: 'blob', base64: 'AAH/' },
    ], [], false);
    expect(bound).toEqual([null, -(2n ** 63n), 1.5, 't', Buffer.from([0, 1, 255])]);
  });

  it('refuses mixed, missing and surplus arguments', () => {
    expect(codeOf(() => bindArguments([null], [text('a')], [{ name: 'a', value: text('b') }], false)))
      .toBe('ARGS_BOTH_POSITIONAL_AND_NAMED');
    expect(codeOf(() => bindArguments([':a'], [text('a')], [], false))).toBe('ARGS_INVALID');
    expect(codeOf(() => bindArguments([null], [], [{ name: 'a', value: text('b') }], false))).toBe('ARGS_INVALID');
    expect(codeOf(() => bindArguments([null], [text('a'), text('b')], [], false))).toBe('ARGS_INVALID');
  });

  it('leaves missing values NULL under EXPLAIN', () => {
    expect(bindArguments([null, ':a'], [], [], true)).toEqual([null, null]);
  });
});
