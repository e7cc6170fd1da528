// The three ways a pipeline can fail, as the Hrana protocol distinguishes them: a protocol error
// (HTTP 400, text/plain), an expired stream (HTTP 500, JSON) and a statement error (inside `results`).

/** A malformed request; the reference server answers 400 text/plain and the stream is gone. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** A baton of a stream that was dropped for inactivity; its transaction was rolled back. */
export class StreamExpiredError extends Error {
  override name = 'StreamExpiredError';
  readonly code = 'STREAM_EXPIRED';
  constructor() {
    super('The stream has expired due to inactivity');
  }
}

/** A failure of one request or batch step; reported in the pipeline results with HTTP 200. */
export class StatementError extends Error {
  override name = 'StatementError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }

  toJSON(): { message: string; code: string } {
    return { message: this.message, code: this.code };
  }
}

// Primary result codes (the low byte) by the names sqld gives them. SQLITE_ERROR (1) and codes its Rust
// binding has no name for come out as SQLITE_UNKNOWN there, so they do here too.
const PRIMARY_NAMES: Record<number, string> = {
  2: 'INTERNAL', 3: 'PERM', 4: 'ABORT', 5: 'BUSY', 6: 'LOCKED', 7: 'NOMEM', 8: 'READONLY',
  9: 'INTERRUPT', 10: 'IOERR', 11: 'CORRUPT', 12: 'NOTFOUND', 13: 'FULL', 14: 'CANTOPEN',
  15: 'PROTOCOL', 17: 'SCHEMA', 18: 'TOOBIG', 19: 'CONSTRAINT', 20: 'MISMATCH', 21: 'MISUSE',
  22: 'NOLFS', 23: 'AUTH', 25: 'RANGE', 26: 'NOTADB',
};

// Turso's own parser rejects these before SQLite sees them, under its own code.
const PARSE_FAILURE = /syntax error|incomplete input|unrecognized token/;

/** Maps an error thrown by node:sqlite to the error object sqld would send; rethrows anything else. */
export function sqliteFailure(error: unknown): StatementError {
  if (!(error instanceof Error) || typeof (error as { errcode?: unknown }).errcode !== 'number') throw error;
  const primary = (error as Error & { errcode: number }).errcode & 0xff;
  if (primary === 1 && PARSE_FAILURE.test(error.message)) {
    return new StatementError('SQL_PARSE_ERROR', `SQL string could not be parsed: ${error.message}`);
  }
  return new StatementError(`SQLITE_${PRIMARY_NAMES[primary] ?? 'UNKNOWN'}`, `SQLite error: ${error.message}`);
}

export function busyFailure(): StatementError {
  return new StatementError('SQLITE_BUSY', 'SQLite error: database is locked (write wait timed out)');
}
