// Runs a Hrana batch: every step in order, each behind its optional condition, with failures recorded
// per step rather than ending the batch.
import type { Connection } from './connection.ts';
import { ProtocolError, StatementError } from './errors.ts';
import type { Batch, BatchCond, BatchResult, Stmt, StmtResult } from './protocol.ts';

export type StepRunner = (stmt: Stmt) => StmtResult;

export function runBatch(connection: Connection, batch: Batch, runStep: StepRunner): BatchResult {
  const result: BatchResult = { step_results: [], step_errors: [] };
  batch.steps.forEach(({ condition }, index) => {
    if (condition) checkSteps(condition, index);
  });
  for (const { condition, stmt } of batch.steps) {
    if (condition && !holds(condition, result, connection)) {
      result.step_results.push(null);
      result.step_errors.push(null);
      continue;
    }
    try {
      result.step_results.push(runStep(stmt));
      result.step_errors.push(null);
    } catch (error) {
      if (!(error instanceof StatementError)) throw error;
      result.step_results.push(null);
      result.step_errors.push(error.toJSON());
    }
  }
  return result;
}

function checkSteps(cond: BatchCond, stepIndex: number): void {
  switch (cond.type) {
    case 'ok':
    case 'error':
      if (cond.step >= stepIndex) throw new ProtocolError(`Batch condition refers to step ${cond.step}, which does not precede step ${stepIndex}`);
      return;
    case 'not':
      return checkSteps(cond.cond, stepIndex);
    case 'and':
    case 'or':
      return cond.conds.forEach((inner) => checkSteps(inner, stepIndex));
    case 'is_autocommit':
      return;
  }
}

function holds(cond: BatchCond, result: BatchResult, connection: Connection): boolean {
  switch (cond.type) {
    case 'ok':
      return result.step_results[cond.step] != null;
    // sqld counts a skipped step as failed too (the spec says otherwise); parity with Turso wins.
    case 'error':
      return result.step_results[cond.step] == null;
    case 'not':
      return !holds(cond.cond, result, connection);
    case 'and':
      return cond.conds.every((inner) => holds(inner, result, connection));
    case 'or':
      return cond.conds.some((inner) => holds(inner, result, connection));
    case 'is_autocommit':
      return !connection.inTransaction;
  }
}
