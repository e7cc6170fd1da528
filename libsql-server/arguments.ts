// Binds Hrana arguments to a statement's parameter slots by sqld's rules: `?` and `?NNN` take positional
// values, `:x` `@x` `$x` take named values (looked up with and without the prefix), and nothing else mixes.
import type { SQLInputValue } from 'node:sqlite';
import { StatementError } from './errors.ts';
import type { Value } from './protocol.ts';
import { toSqlite } from './values.ts';

export type NamedArg = { name: string; value: Value };

/**
 * The value of every parameter slot, index i for parameter i+1. `slots[i]` is the name of parameter i+1
 * (null for a nameless `?`). Missing values are an error except under EXPLAIN, where SQLite leaves them NULL.
 */
export function bindArguments(slots: readonly (string | null)[], args: Value[], namedArgs: NamedArg[], isExplain: boolean): SQLInputValue[] {
  if (args.length > 0 && namedArgs.length > 0) {
    throw new StatementError('ARGS_BOTH_POSITIONAL_AND_NAMED', 'Statement has both positional and named arguments');
  }
  const given = Math.max(args.length, namedArgs.length);
  if (given > slots.length) {
    throw new StatementError('ARGS_INVALID', `Invalid arguments: too many parameters, expected ${slots.length} found ${given}`);
  }
  const byName = new Map(namedArgs.map((arg) => [arg.name, arg.value]));
  return slots.map((name, index) => {
    const value = name === null ? args[index]
      : name.startsWith('?') ? args[Number(name.slice(1)) - 1]
      : byName.get(name) ?? byName.get(name.slice(1));
    if (value === undefined && !isExplain) {
      throw new StatementError('ARGS_INVALID', `Invalid arguments: value for parameter ${name ?? index + 1} not found`);
    }
    return value === undefined ? null : toSqlite(value);
  });
}
