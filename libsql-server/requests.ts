// Handles one stream request (execute, batch, sequence, describe, store_sql, close_sql, close,
// get_autocommit) and turns statement failures into error results.
import { runBatch } from './batch.ts';
import { busyFailure, ProtocolError, StatementError } from './errors.ts';
import type { SqlSource, StreamRequest, StreamResponse, StreamResult } from './protocol.ts';
import type { Stream } from './streams.ts';

// sqld's limits for `store_sql`: texts per stream, and bytes per text.
const MAX_STORED_SQLS = 50;
const MAX_STORED_SQL_BYTES = 5000;

export type RequestContext = {
  stream: Stream;
  /** The write gate could not be had in time: statements fail as SQLITE_BUSY instead of running. */
  busy: boolean;
  closeStream: () => void;
};

export function handleRequest(context: RequestContext, request: StreamRequest): StreamResult {
  try {
    return { type: 'ok', response: respond(context, request) };
  } catch (error) {
    if (error instanceof StatementError) return { type: 'error', error: error.toJSON() };
    throw error;
  }
}

function respond({ stream, busy, closeStream }: RequestContext, request: StreamRequest): StreamResponse {
  const connection = () => {
    if (stream.closed) throw new ProtocolError('The stream was closed earlier in this pipeline');
    if (busy) throw busyFailure();
    return stream.connection;
  };
  switch (request.type) {
    case 'execute':
      return { type: 'execute', result: connection().execute(sqlText(stream, request.stmt), request.stmt) };
    case 'batch': {
      const db = connection();
      return { type: 'batch', result: runBatch(db, request.batch, (stmt) => db.execute(sqlText(stream, stmt), stmt)) };
    }
    case 'sequence':
      connection().sequence(sqlText(stream, request));
      return { type: 'sequence' };
    case 'describe':
      return { type: 'describe', result: connection().describe(sqlText(stream, request)) };
    case 'store_sql':
      storeSql(stream, request.sql_id, request.sql);
      return { type: 'store_sql' };
    case 'close_sql':
      stream.sqls.delete(request.sql_id);
      return { type: 'close_sql' };
    case 'close':
      closeStream();
      return { type: 'close' };
    case 'get_autocommit':
      return { type: 'get_autocommit', is_autocommit: !connection().inTransaction };
  }
}

/** The SQL a request names, given inline or by a stored id; exactly one of the two must be present. */
function sqlText(stream: Stream, { sql, sql_id: id }: SqlSource): string {
  if (sql != null && id == null) return sql;
  if (sql == null && id != null) {
    const stored = stream.sqls.get(id);
    if (stored === undefined) throw new ProtocolError(`SQL text ${id} was not stored`);
    return stored;
  }
  throw new ProtocolError('Exactly one of sql and sql_id must be given');
}

function storeSql(stream: Stream, id: number, sql: string): void {
  if (stream.sqls.has(id)) throw new ProtocolError(`SQL text ${id} is already stored`);
  if (stream.sqls.size >= MAX_STORED_SQLS) {
    throw new StatementError('SQL_STORE_TOO_MANY', `The server already stores ${stream.sqls.size} SQL texts, it cannot store more`);
  }
  const size = Buffer.byteLength(sql);
  if (size > MAX_STORED_SQL_BYTES) {
    throw new StatementError('SQL_STORE_TOO_LARGE', `The statement is too large to be stored: ${size}/${MAX_STORED_SQL_BYTES} bytes`);
  }
  stream.sqls.set(id, sql);
}
