// GET /media/{mediaId}?expires=&signature=: a received file for whoever holds its link (a webhook receiver
// has no API key). The signature is the only credential; the Worker checks it itself.
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { verifyPublicMediaUrl } from '../media/public-media-url.ts';
import { openMediaById } from '../services/media.ts';
import { mediaResponse } from './media-response.ts';

export const publicMediaRoutes = new Hono<AppEnv>();

publicMediaRoutes.get('/media/:mediaId', async (c) => {
  const mediaId = c.req.param('mediaId');
  const signature = c.req.query('signature') ?? '';
  const valid =
    /^[0-9a-f]{64}$/.test(signature) &&
    (await verifyPublicMediaUrl(c.var.services.config.CONNECTOR_SECRET, mediaId, Number(c.req.query('expires')), signature, Date.now()));
  if (!valid) throw new ApiError('UNAUTHORISED', 'Invalid or expired media link');
  return mediaResponse(await openMediaById(c.var.services, mediaId));
});
