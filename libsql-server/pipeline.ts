// One POST to /v2/pipeline or /v3/pipeline: find or open the stream, take the write gate if the
// requests may write, run every request in order, and hand the stream back under a new baton.
import { ProtocolError } from './errors.ts';
import type { BatchCond, PipelineRequest, PipelineResponse, SqlSource, StreamRequest } from './protocol.ts';
import { handleRequest } from './requests.ts';
import type { Lexer } from './lexer-cache.ts';
import type { Stream, StreamRegistry } from './streams.ts';
import type { WriteGate } from './write-gate.ts';

export type PipelineContext = {
  streams: StreamRegistry;
  gate: WriteGate<Stream>;
  writeWaitMs: number;
  lex: Lexer;
};

export async function runPipeline(context: PipelineContext, body: PipelineRequest, version: 2 | 3): Promise<PipelineResponse> {
  if (version === 2) rejectVersion3Features(body.requests);
  const { streams, gate } = context;
  const stream = body.baton == null ? streams.open() : streams.take(body.baton);
  try {
    let busy = false;
    if (gate.holder !== stream && mayWrite(context.lex, stream, body.requests)) {
      busy = !(await gate.acquire(stream, context.writeWaitMs));
    }
    if (stream.closed) throw new ProtocolError('The server is shutting down');
    const requestContext = { stream, busy, closeStream: () => streams.close(stream) };
    // Synchronous from here on: no other pipeline can interleave with this one.
    const results = body.requests.map((request) => handleRequest(requestContext, request));
    if (stream.closed) return { baton: null, base_url: null, results };
    if (!stream.connection.inTransaction) gate.release(stream);
    return { baton: streams.park(stream), base_url: null, results };
  } catch (error) {
    // The client treats any HTTP error as the end of the stream, so end it here too.
    streams.close(stream);
    throw error;
  }
}

/** Whether any statement the requests would run can write. Unknown SQL counts as a write. */
function mayWrite(lex: Lexer, stream: Stream, requests: StreamRequest[]): boolean {
  const stored = new Map(stream.sqls);
  const writes = (source: SqlSource): boolean => {
    const sql = source.sql ?? (source.sql_id == null ? undefined : stored.get(source.sql_id));
    return sql === undefined || lex(sql).some((statement) => !statement.readOnly);
  };
  return requests.some((request) => {
    switch (request.type) {
      case 'store_sql':
        stored.set(request.sql_id, request.sql);
        return false;
      case 'execute':
        return writes(request.stmt);
      case 'batch':
        return request.batch.steps.some((step) => writes(step.stmt));
      case 'sequence':
        return writes(request);
      default:
        return false;
    }
  });
}

// Hrana 2 has neither get_autocommit nor the is_autocommit condition; sqld refuses them there.
function rejectVersion3Features(requests: StreamRequest[]): void {
  const usesAutocommit = (cond: BatchCond | null | undefined): boolean => {
    if (cond == null) return false;
    switch (cond.type) {
      case 'is_autocommit': return true;
      case 'not': return usesAutocommit(cond.cond);
      case 'and':
      case 'or': return cond.conds.some(usesAutocommit);
      default: return false;
    }
  };
  for (const request of requests) {
    if (request.type === 'get_autocommit' || (request.type === 'batch' && request.batch.steps.some((step) => usesAutocommit(step.condition)))) {
      throw new ProtocolError(`${request.type === 'batch' ? 'The is_autocommit condition' : 'get_autocommit'} requires Hrana 3 (/v3/pipeline)`);
    }
  }
}
