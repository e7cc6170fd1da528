// The connector's door to media bytes: GET the file of a send, PUT the file of a received message, at
// /connector/media/{sessionId}/{mediaId}. A media link (shared/media-link.ts) is the only credential, checked
// here by the Worker itself; no API key, no header a client could set.
import { Hono } from 'hono';
import { verifyMediaLink, type MediaLinkMethod } from '../../shared/media-link.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { openMedia, storeMedia } from '../services/media.ts';
import { findSession } from '../services/sessions.ts';
import { mediaFilename, mediaResponse } from './media-response.ts';

export const connectorMediaRoutes = new Hono<AppEnv>();

const PATH = '/connector/media/:sessionId/:mediaId';

async function authorise(c: { req: { param: (name: string) => string; query: (name: string) => string | undefined }; var: AppEnv['Variables'] }, method: MediaLinkMethod) {
  const sessionId = c.req.param('sessionId');
  const mediaId = c.req.param('mediaId');
  const expires = Number(c.req.query('expires'));
  const signature = c.req.query('signature') ?? '';
  const valid = /^[0-9a-f]{64}$/.test(signature) && (await verifyMediaLink(c.var.services.config.CONNECTOR_SECRET, method, sessionId, mediaId, expires, signature, Date.now()));
  if (!valid) throw new ApiError('UNAUTHORISED', 'Invalid or expired media link');
  return { sessionId, mediaId };
}

connectorMediaRoutes.get(PATH, async (c) => {
  const { sessionId, mediaId } = await authorise(c, 'GET');
  return mediaResponse(await openMedia(c.var.services, sessionId, mediaId));
});

connectorMediaRoutes.put(PATH, async (c) => {
  const { sessionId, mediaId } = await authorise(c, 'PUT');
  // A connector may still run a job of a session deleted since: its files were deleted, none is stored again.
  if (!(await findSession(c.var.services, sessionId))) throw new ApiError('SESSION_NOT_FOUND', `Session ${sessionId} not found`);
  const body = c.req.raw.body;
  if (!body) throw new ApiError('VALIDATION_FAILED', 'The body is empty');
  const length = c.req.header('content-length');
  const stored = await storeMedia(c.var.services, sessionId, {
    body,
    mimetype: c.req.header('content-type'),
    filename: mediaFilename(c.req.header('x-kabar-filename'), true),
    ...(length === undefined ? {} : { length: Number(length) }),
    direction: 'in',
    mediaId,
  });
  return c.json({ success: true as const, ...stored }, 201);
});
