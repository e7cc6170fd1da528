// The validation hook: turns zod's issues into one 400 that names each failing field and why.
import type { z } from 'zod';
import { ApiError } from './errors.ts';

export function validationError(error: z.ZodError): ApiError {
  const details = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.field} ${d.message}`).join('; ');
  return new ApiError('VALIDATION_FAILED', `Invalid request: ${summary}`, { details });
}

export function throwOnInvalid(result: { success: true } | { success: false; error: z.ZodError }): void {
  if (!result.success) throw validationError(result.error);
}
