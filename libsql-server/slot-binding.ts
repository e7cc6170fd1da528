// Hands slot values to node:sqlite, which cannot bind by index: it binds named values by name and the
// rest in order from slot 1, stepping over `:`, `@` and `$` names but not `?NNN` ones, so a `?NNN` beside
// a bare `?` would be overwritten. SQLite numbers a bare `?` as the largest number so far plus one, so
// writing it as `?N` (N its number) changes no slot's number; such mixes are rewritten that way and every
// slot is bound by name.
import type { SQLInputValue } from 'node:sqlite';
import type { SqlStatement } from './sql-lexer.ts';

export type NodeBinding = {
  /** The SQL to run: the source itself unless it was rewritten. */
  sql: string;
  named: Record<string, SQLInputValue>;
  anonymous: SQLInputValue[];
};

/** `values[i]` is the value of parameter i+1; `sql` is the statement's source as lexed. */
export function bindSlots(sql: string, statement: Pick<SqlStatement, 'params' | 'bareParams'>, values: SQLInputValue[]): NodeBinding {
  const named: Record<string, SQLInputValue> = {};
  statement.params.forEach((name, index) => {
    if (name !== null) named[name] = values[index] ?? null;
  });
  const bare = statement.bareParams;
  const mixed = bare.length > 0 && statement.params.some((name) => name?.startsWith('?'));
  if (!mixed) return { sql, named, anonymous: bare.map(({ index }) => values[index - 1] ?? null) };

  let rewritten = '';
  let from = 0;
  for (const { index, end } of bare) {
    rewritten += `${sql.slice(from, end)}${index}`;
    from = end;
    named[`?${index}`] = values[index - 1] ?? null;
  }
  return { sql: rewritten + sql.slice(from), named, anonymous: [] };
}
