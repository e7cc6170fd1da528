// The Hrana-over-HTTP wire format (JSON encoding of protocol versions 2 and 3): zod schemas for what
// clients send, plain types for what the server answers.
import { z } from 'zod';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

const value = z.discriminatedUnion('type', [
  z.object({ type: z.literal('null') }),
  z.object({
    type: z.literal('integer'),
    value: z.string().regex(/^-?\d+$/).refine((text) => {
      const n = BigInt(text);
      return n >= I64_MIN && n <= I64_MAX;
    }, 'integer out of the 64-bit range'),
  }),
  z.object({ type: z.literal('float'), value: z.number() }),
  z.object({ type: z.literal('text'), value: z.string() }),
  z.object({ type: z.literal('blob'), base64: z.string() }),
]);
export type Value = z.infer<typeof value>;

const sqlId = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);

// Exactly-one-of is checked when the text is resolved, because that error is a protocol error too.
const sqlSource = { sql: z.string().nullish(), sql_id: sqlId.nullish() };
export type SqlSource = { sql?: string | null | undefined; sql_id?: number | null | undefined };

const stmt = z.object({
  ...sqlSource,
  args: z.array(value).nullish(),
  named_args: z.array(z.object({ name: z.string(), value })).nullish(),
  want_rows: z.boolean().nullish(),
});
export type Stmt = z.infer<typeof stmt>;

export type BatchCond =
  | { type: 'ok' | 'error'; step: number }
  | { type: 'not'; cond: BatchCond }
  | { type: 'and' | 'or'; conds: BatchCond[] }
  | { type: 'is_autocommit' };

const stepIndex = z.number().int().nonnegative();
const batchCond: z.ZodType<BatchCond> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.enum(['ok', 'error']), step: stepIndex }),
    z.object({ type: z.literal('not'), cond: batchCond }),
    z.object({ type: z.enum(['and', 'or']), conds: z.array(batchCond) }),
    z.object({ type: z.literal('is_autocommit') }),
  ]),
);

const batch = z.object({ steps: z.array(z.object({ condition: batchCond.nullish(), stmt })) });
export type Batch = z.infer<typeof batch>;

const streamRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('execute'), stmt }),
  z.object({ type: z.literal('batch'), batch }),
  z.object({ type: z.literal('sequence'), ...sqlSource }),
  z.object({ type: z.literal('describe'), ...sqlSource }),
  z.object({ type: z.literal('store_sql'), sql_id: sqlId, sql: z.string() }),
  z.object({ type: z.literal('close_sql'), sql_id: sqlId }),
  z.object({ type: z.literal('close') }),
  z.object({ type: z.literal('get_autocommit') }),
]);
export type StreamRequest = z.infer<typeof streamRequest>;

export const pipelineRequest = z.object({
  baton: z.string().nullish(),
  requests: z.array(streamRequest),
});
export type PipelineRequest = z.infer<typeof pipelineRequest>;

export type ErrorBody = { message: string; code: string };

export type Col = { name: string | null; decltype: string | null };

export type StmtResult = {
  cols: Col[];
  rows: Value[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
};

export type BatchResult = { step_results: (StmtResult | null)[]; step_errors: (ErrorBody | null)[] };

export type DescribeResult = {
  params: { name: string | null }[];
  cols: Col[];
  is_explain: boolean;
  is_readonly: boolean;
};

export type StreamResponse =
  | { type: 'execute'; result: StmtResult }
  | { type: 'batch'; result: BatchResult }
  | { type: 'describe'; result: DescribeResult }
  | { type: 'get_autocommit'; is_autocommit: boolean }
  | { type: 'sequence' | 'store_sql' | 'close_sql' | 'close' };

export type StreamResult = { type: 'ok'; response: StreamResponse } | { type: 'error'; error: ErrorBody };

export type PipelineResponse = { baton: string | null; base_url: null; results: StreamResult[] };
