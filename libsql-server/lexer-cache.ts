// The lexer's reading of each SQL text, remembered: the Worker sends the same few texts again and again, and
// each request would otherwise lex them twice (for the write gate, then to bind). The statements handed out
// are shared between requests and never changed.
import { BoundedCache } from '../shared/bounded-cache.ts';
import { type SqlStatement, splitStatements } from './sql-lexer.ts';

export type Lexer = (sql: string) => readonly SqlStatement[];

export type LexerCacheOptions = {
  /** Distinct texts kept. */
  capacity?: number;
  /** Longer texts (a migration's `sequence`, a bulk insert) are lexed each time rather than kept. */
  maxLength?: number;
};

export function cachingLexer({ capacity = 256, maxLength = 16_384 }: LexerCacheOptions = {}): Lexer {
  const cache = new BoundedCache<string, readonly SqlStatement[]>(capacity);
  return (sql) => (sql.length > maxLength ? splitStatements(sql) : cache.get(sql, splitStatements));
}
