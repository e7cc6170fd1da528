// Response entries for route definitions: a JSON body with its description, and the error envelope under
// each status a route can answer with.
import { z } from '@hono/zod-openapi';
import { ErrorSchema } from '../schemas.ts';

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));
