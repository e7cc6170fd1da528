// The media API: upload a file for later sends (POST /api/media) and read a session's own files back
// (GET /api/media/{mediaId}). Bodies stream into and out of R2; only a multipart upload is buffered, and
// it is capped for that reason (a raw body takes files up to MAX_MEDIA_BYTES).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { ErrorSchema } from '../schemas.ts';
import { openMedia, storeMedia } from '../services/media.ts';
import { throwOnInvalid } from '../validation.ts';
import { MediaIdSchema } from './message-request.ts';
import { mediaFilename, mediaResponse } from './media-response.ts';

/** `request.formData()` holds the whole body (twice, briefly): multipart uploads stop here; raw bodies do not. */
export const MULTIPART_MAX_BYTES = 20 * 1024 * 1024;

const errorContent = { content: { 'application/json': { schema: ErrorSchema } } };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { description: 'Error', ...errorContent }]));

export const Uploaded = z
  .object({ success: z.literal(true), mediaId: z.string(), mimetype: z.string(), size: z.number().int(), sha256: z.string() })
  .openapi('UploadedMedia', { example: { success: true, mediaId: 'med_Yx3kq0Jc9bW1nVd2T4pLr8sZ', mimetype: 'image/jpeg', size: 48213, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } });

export const mediaRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

// Documented here, handled below without a body validator: a validator would read the whole body first.
mediaRoutes.openAPIRegistry.registerPath({
  method: 'post',
  path: '/api/media',
  summary: 'Upload a file to send later by its mediaId (this session only)',
  description: `Either multipart/form-data with a \`file\` field (at most ${MULTIPART_MAX_BYTES / 1024 / 1024} MiB, with Content-Length), or the raw bytes as the body with their Content-Type and an optional \`x-kabar-filename\` header (percent-encoded UTF-8), up to MAX_MEDIA_BYTES (100 MiB by default). The type is checked against the bytes; application/octet-stream is sniffed.`,
  security: [{ apiKey: [] }],
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: z.object({ file: z.string().openapi({ type: 'string', format: 'binary' }) }) },
        'application/octet-stream': { schema: z.string().openapi({ type: 'string', format: 'binary' }) },
      },
    },
  },
  responses: { 201: { description: 'Stored', content: { 'application/json': { schema: Uploaded } } }, ...errors(400, 401, 411, 413, 429, 503) },
});

mediaRoutes.post('/api/media', apiKeyAuth('send'), (c) => uploadMedia(c));

/** Stores the request's file for `c.var.sessionId` and answers 201 with its id: the session key's route and the admin's. */
export async function uploadMedia(c: Context<AppEnv>) {
  const type = c.req.header('content-type') ?? '';
  const declaredLength = c.req.header('content-length');
  const length = declaredLength === undefined ? undefined : Number(declaredLength);
  const body = c.req.raw.body;
  if (!body) throw new ApiError('VALIDATION_FAILED', 'The body is empty: send the file as the body, or as the `file` field of a multipart form');
  let input: { body: ReadableStream<Uint8Array>; mimetype: string | undefined; filename: string | undefined; length: number | undefined };
  if (/^multipart\/form-data/i.test(type)) {
    if (length === undefined) throw new ApiError('LENGTH_REQUIRED', 'A multipart upload needs Content-Length; or send the raw file as the body');
    if (length > MULTIPART_MAX_BYTES) {
      throw new ApiError('PAYLOAD_TOO_LARGE', `Multipart uploads are capped at ${MULTIPART_MAX_BYTES} bytes; send larger files as the raw body with their Content-Type`);
    }
    const file = (await c.req.raw.formData().catch(() => null))?.get('file');
    if (!file || typeof file === 'string') throw new ApiError('VALIDATION_FAILED', 'Invalid request: file is required (a multipart field holding the file)', { details: [{ field: 'file', message: 'is required' }] });
    input = { body: file.stream(), mimetype: file.type || undefined, filename: mediaFilename(file.name), length: file.size };
  } else {
    input = { body, mimetype: type || undefined, filename: mediaFilename(c.req.header('x-kabar-filename'), true), length };
  }
  const stored = await storeMedia(c.var.services, c.var.sessionId, { ...input, direction: 'out' });
  return c.json({ success: true as const, mediaId: stored.mediaId, mimetype: stored.mimetype, size: stored.size, sha256: stored.sha256 }, 201);
}

const getRoute = createRoute({
  method: 'get',
  path: '/api/media/{mediaId}',
  summary: "A file of this session's: one it uploaded or one it received",
  security: [{ apiKey: [] }],
  middleware: [apiKeyAuth('other')] as const,
  request: { params: z.object({ mediaId: MediaIdSchema }) },
  responses: {
    200: { description: 'The bytes, with their Content-Type; X-Kabar-Sha256 is their SHA-256', content: { 'application/octet-stream': { schema: z.string().openapi({ type: 'string', format: 'binary' }) } } },
    ...errors(400, 401, 404, 429),
  },
});

mediaRoutes.openapi(getRoute, async (c) => {
  const opened = await openMedia(c.var.services, c.var.sessionId, c.req.valid('param').mediaId);
  return mediaResponse(opened) as never;
});
