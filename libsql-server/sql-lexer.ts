// A small SQLite lexer: splits text into statements (trigger bodies included), numbers parameters as
// SQLite does, and finds each statement's main keyword and whether it can write. node:sqlite reports
// none of this, and the binding rules, statement counts and write gate all depend on it.

type TokenKind = 'word' | 'quoted' | 'param' | 'semicolon' | 'other';
type Token = { kind: TokenKind; text: string; start: number; end: number };

export type SqlStatement = {
  /** The statement's source, up to and including its `;`. */
  text: string;
  /** Upper-cased keyword of the statement that runs, after `EXPLAIN` and a `WITH` clause. */
  keyword: string;
  isExplain: boolean;
  /** Cannot change the database: such statements never wait for the write gate. */
  readOnly: boolean;
  /** Name of parameter i+1 at index i; null for a nameless `?` or an unused number. */
  params: readonly (string | null)[];
  /** Each nameless `?`: the number SQLite gives it and the offset in the source just after it. */
  bareParams: readonly BareParam[];
};

export type BareParam = { index: number; end: number };

// SQLITE_MAX_VARIABLE_NUMBER; a number outside 1..this fails at prepare, which reports it.
const MAX_PARAM_NUMBER = 32766;

// SQLite's IdChar: letters, digits, `_`, `$` and every non-ASCII character.
const isIdChar = (c: string | undefined): boolean => c !== undefined && (/[A-Za-z0-9_$]/.test(c) || c > '\x7f');

function quoteEnd(sql: string, start: number, quote: string): number {
  let from = start + 1;
  for (;;) {
    const at = sql.indexOf(quote, from);
    if (at < 0) return sql.length;
    if (sql[at + 1] !== quote) return at + 1;
    from = at + 2;
  }
}

function* tokenize(sql: string): Generator<Token> {
  let i = 0;
  while (i < sql.length) {
    const start = i;
    const c = sql[i]!;
    let kind: TokenKind;
    if (/\s/.test(c)) {
      i++;
      continue;
    } else if (c === '-' && sql[i + 1] === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? sql.length : eol + 1;
      continue;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
      continue;
    } else if (c === "'" || c === '"' || c === '`') {
      i = quoteEnd(sql, i, c);
      kind = 'quoted';
    } else if (c === '[') {
      const close = sql.indexOf(']', i);
      i = close < 0 ? sql.length : close + 1;
      kind = 'quoted';
    } else if (c === ';') {
      i++;
      kind = 'semicolon';
    } else if (c === '?') {
      do i++; while (/[0-9]/.test(sql[i] ?? ''));
      kind = 'param';
    } else if ((c === ':' || c === '@' || c === '$') && isIdChar(sql[i + 1])) {
      do i++; while (isIdChar(sql[i]));
      kind = 'param';
    } else if (isIdChar(c)) {
      do i++; while (isIdChar(sql[i]));
      kind = 'word';
    } else {
      i++;
      kind = 'other';
    }
    yield { kind, text: sql.slice(start, i), start, end: i };
  }
}

const upper = (token: Token | undefined): string => (token?.kind === 'word' ? token.text.toUpperCase() : '');

function isCreateTrigger(tokens: Token[]): boolean {
  if (upper(tokens[0]) !== 'CREATE') return false;
  const next = upper(tokens[1]);
  return next === 'TRIGGER' || ((next === 'TEMP' || next === 'TEMPORARY') && upper(tokens[2]) === 'TRIGGER');
}

// Inside CREATE TRIGGER a `;` ends the statement only right after the END that closes the body, as in
// sqlite3_complete; CASE ... END pairs inside the body are counted so they do not end it early.
function triggerIsComplete(tokens: Token[]): boolean {
  let depth = 0;
  for (const token of tokens) {
    const word = upper(token);
    if (word === 'BEGIN' || word === 'CASE') depth++;
    else if (word === 'END') depth--;
  }
  return depth <= 0 && upper(tokens.at(-1)) === 'END';
}

// SQLite's numbering: `?` takes the highest index so far plus one, `?NNN` takes NNN, a name seen before
// reuses its index. `?NNN` names its slot only if the slot has no name yet.
function numberParams(tokens: Token[]): Pick<SqlStatement, 'params' | 'bareParams'> {
  const slots: (string | null)[] = [];
  const bareParams: BareParam[] = [];
  for (const { kind, text, end } of tokens) {
    if (kind !== 'param') continue;
    if (text === '?') {
      slots.push(null);
      bareParams.push({ index: slots.length, end });
    } else if (text.startsWith('?')) {
      const index = Number(text.slice(1));
      if (index < 1 || index > MAX_PARAM_NUMBER) continue;
      while (slots.length < index) slots.push(null);
      if (slots[index - 1] === null) slots[index - 1] = text;
    } else if (!slots.includes(text)) {
      slots.push(text);
    }
  }
  return { params: slots, bareParams };
}

const MAIN_AFTER_WITH = new Set(['SELECT', 'VALUES', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE']);
const ALWAYS_READ_ONLY = new Set(['SELECT', 'VALUES', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE']);

function describeStatement(sql: string, tokens: Token[], end: number): SqlStatement {
  let at = 0;
  const isExplain = upper(tokens[0]) === 'EXPLAIN';
  if (isExplain) at = upper(tokens[1]) === 'QUERY' ? 3 : 1;
  if (upper(tokens[at]) === 'WITH') {
    let depth = 0;
    for (at++; at < tokens.length; at++) {
      const token = tokens[at]!;
      if (token.text === '(') depth++;
      else if (token.text === ')') depth--;
      else if (depth === 0 && MAIN_AFTER_WITH.has(upper(token))) break;
    }
  }
  const keyword = upper(tokens[at]);
  const readOnly = isExplain || ALWAYS_READ_ONLY.has(keyword)
    || (keyword === 'BEGIN' && !['IMMEDIATE', 'EXCLUSIVE'].includes(upper(tokens[at + 1])))
    || (keyword === 'PRAGMA' && !tokens.some((token) => token.text === '='));
  return { text: sql.slice(tokens[0]!.start, end), keyword, isExplain, readOnly, ...numberParams(tokens) };
}

/** The statements in `sql`, in order; empty statements (a lone `;`, comments) are dropped. */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let tokens: Token[] = [];
  for (const token of tokenize(sql)) {
    if (token.kind === 'semicolon' && tokens.length === 0) continue;
    if (token.kind === 'semicolon' && (!isCreateTrigger(tokens) || triggerIsComplete(tokens))) {
      statements.push(describeStatement(sql, tokens, token.end));
      tokens = [];
      continue;
    }
    tokens.push(token);
  }
  if (tokens.length > 0) statements.push(describeStatement(sql, tokens, sql.length));
  return statements;
}
