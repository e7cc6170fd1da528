// Zod building blocks for request validation and the OpenAPI document. Messages name what is wrong in
// words a caller can act on; the validation hook prefixes the field.
import { z } from '@hono/zod-openapi';

export function text(what: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${what}`) });
}

export const SessionIdSchema = text('1-64 letters, digits, "_" or "-"').regex(
  /^[A-Za-z0-9_-]{1,64}$/,
  'must be 1-64 letters, digits, "_" or "-"',
);

/** Phone input as people type it; normalised and checked against the country code in the handler. */
export const PhoneInputSchema = text('a phone number').min(1, 'is required').max(32, 'must be at most 32 characters');

export const ErrorSchema = z
  .object({ success: z.literal(false), error: z.string(), code: z.string(), details: z.unknown().optional() })
  .openapi('Error');

export const LaravelErrorSchema = z.object({ error: z.string() }).openapi('LaravelError');

export const UserSchema = z.object({ id: z.string(), name: z.string().optional() }).openapi('WhatsAppUser');
