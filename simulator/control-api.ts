// The HTTP JSON control API: the in-process scenario operations over loopback, for tests in other
// processes and for demos. Bad input gets a 4xx {error}; errors map to statuses in one place.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ADDRESSINGS } from './addressing.ts';
import { MEDIA_TYPES } from './media-crypto.ts';
import { ContactContent } from './contact-content.ts';
import { PARTICIPANT_ACTIONS } from './group-changes.ts';
import { GROUP_ADDRESSINGS } from './groups.ts';
import {
  GroupRefused,
  InvalidQr,
  InvalidScenario,
  NoLinkedDevice,
  NotConnected,
  PairingRejected,
  QrMismatch,
  UnknownGroup,
  UnknownMessage,
  UnknownQr,
} from './errors.ts';
import type { Simulator } from './server.ts';

const MAX_BODY_BYTES = 256 * 1024;
/** A contact's media comes base64 in the JSON body: up to about 24 MiB of bytes here. */
const MAX_MEDIA_BODY_BYTES = 32 * 1024 * 1024;

const phone = z.string().regex(/^\d{5,20}$/, 'must be a phone number in digits, e.g. "6281234567890"');
const schemas = {
  scan: z.object({ qr: z.string().min(1), phone, forgeAccountSignature: z.boolean().optional(), linkedAt: z.number().int().min(0).optional() }),
  pair: z.object({ phone, code: z.string().regex(/^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$/, 'must be the 8-character code, e.g. "ABCD-EFGH"') }),
  messages: z
    .object({
      from: phone,
      to: phone,
      text: z.string().min(1).max(65_536).optional(),
      message: ContactContent.optional(),
      addressing: z.enum(ADDRESSINGS).optional(),
      media: z
        .object({
          type: z.enum(MEDIA_TYPES),
          data: z.base64().min(1),
          mimetype: z.string().min(1).max(255).optional(),
          caption: z.string().max(65_536).optional(),
          filename: z.string().min(1).max(255).optional(),
          voice: z.boolean().optional(),
          gif: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .refine((body) => [body.text, body.message, body.media].filter((part) => part !== undefined).length === 1, 'give exactly one of text, message or media (with its caption)'),
  mediaExpire: z.union([z.object({ directPath: z.string().startsWith('/v/').max(1024) }).strict(), z.object({ messageId: z.string().min(1).max(128) }).strict()]),
  contacts: z.object({ phone, registered: z.boolean().optional(), pictureUrl: z.string().url().max(2048).nullable().optional() }),
  presence: z.object({ from: phone, to: phone, state: z.enum(['available', 'unavailable', 'composing', 'recording', 'paused']) }),
  receipts: z.object({ id: z.string().min(1), type: z.enum(['delivered', 'read']) }),
  retries: z.object({ id: z.string().min(1), count: z.number().int().min(1).max(5).optional() }),
  phone: z.object({ phone }),
  refusal: z.object({
    from: phone,
    to: phone,
    code: z.number().int().min(400).max(599).nullable(),
    delayMs: z.number().int().min(0).max(60_000).default(0),
  }),
  reachoutLock: z
    .object({ phone, until: z.number().int().min(0).nullable(), enforcementType: z.string().regex(/^[A-Z_]{1,64}$/, 'must be a WhatsApp enforcement type, e.g. "DEFAULT"').default('DEFAULT') })
    .strict(),
  clientVersion: z.object({
    minimum: z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]).nullable(),
  }),
  streamError: z.object({ phone, kind: z.enum(['500', '503', '515', 'end']) }),
  createGroup: z.object({
    creator: phone,
    subject: z.string().min(1).max(100),
    participants: z.array(phone).max(1024),
    addressing: z.enum(GROUP_ADDRESSINGS).optional(),
  }),
  participants: z.object({ by: phone, action: z.enum(PARTICIPANT_ACTIONS), participants: z.array(phone).min(1).max(1024) }),
  subject: z.object({ by: phone, subject: z.string().min(1).max(100) }),
  number: z.object({ onWhatsApp: z.boolean().optional(), groupAdds: z.enum(['everyone', 'nobody']).optional() }),
  groupReceipt: z.object({ messageId: z.string().min(1), member: phone, type: z.enum(['delivered', 'read']) }),
  groupMessage: z.object({ from: phone, text: z.string().min(1).max(65_536), pushName: z.string().min(1).max(100).optional() }),
};

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  // A group operation WhatsApp refuses: no such group, or the state does not allow it (not a member, not an admin).
  if (error instanceof GroupRefused) return error.code === 404 ? 404 : error.code === 400 ? 400 : 409;
  if (error instanceof InvalidQr || error instanceof InvalidScenario) return 400;
  if (error instanceof UnknownQr || error instanceof NoLinkedDevice || error instanceof UnknownMessage || error instanceof UnknownGroup) return 404;
  if (error instanceof QrMismatch || error instanceof PairingRejected || error instanceof NotConnected) return 409;
  return 500;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body must be JSON');
  }
}

async function parseBody<T>(req: IncomingMessage, schema: z.ZodType<T>, limit = MAX_BODY_BYTES): Promise<T> {
  const parsed = schema.safeParse(await readJson(req, limit));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new HttpError(400, `${where}${issue?.message ?? 'invalid request'}`);
  }
  return parsed.data;
}

const DESCRIPTION = {
  name: 'kabar WhatsApp simulator',
  websocket: '/ws/chat',
  control: [
    'POST /control/scan {qr, phone, forgeAccountSignature?, linkedAt?: epoch ms the link is stamped with} -> {jid}',
    'POST /control/pair {phone, code} -> {jid}: the phone enters the pairing code its device shows',
    'POST /control/messages {from, to, text | message: {type: text|location|contacts|poll|reaction|edit|revoke|poll-vote, ...}, addressing?: pn|lid|lid-without-pn} -> {id}',
    'POST /control/messages {from, to, media: {type: image|video|audio|document|sticker, data: base64, mimetype?, caption?, filename?, voice?, gif?}, addressing?} -> {id}',
    'POST /control/media/expire {directPath} | {messageId} -> {directPath}: downloads get 410 until the phone re-uploads it',
    'POST /control/contacts {phone, registered?, pictureUrl?} -> {registered, pictureUrl?}',
    'POST /control/presence {from, to, state: available|unavailable|composing|recording|paused} -> {devices}',
    'POST /control/retries {id, count?} -> {ok}',
    'GET /control/inbox/:phone -> {messages: [{id, from, text, timestamp, kind, content, replyTo?, type?, media?: {mimetype, caption?, filename?, voice?, gif?, size, sha256} | {..., error}}]}',
    'POST /control/receipts {id, type: "delivered"|"read"} -> {ok}',
    'POST /control/unlink {phone} -> {devices}',
    'POST /control/drop {phone} -> {connections}',
    'POST /control/replace {phone} -> {connections}',
    'POST /control/refusals {from, to, code: 463|479|...|null, delayMs?} -> {ok}',
    'POST /control/reachout-lock {phone, until: epoch ms | null (lifts it), enforcementType?} -> {devices}: the account may not reach out to new contacts until then; its devices get the mex notification',
    'POST /control/client-version {minimum: [2, 3000, n] | null} -> {ok}',
    'POST /control/stream-error {phone, kind: "500"|"503"|"515"|"end"} -> {connections}',
    'POST /control/stall {phone} -> {connections} (open but silent until the device reconnects)',
    'POST /control/groups {creator, subject, participants[], addressing?: lid|pn} -> {id, participants: [{phone, status}]}',
    'GET /control/groups/:id -> {id, subject, description, creator, announce, locked, addressing, inviteCode, members}',
    'POST /control/groups/:id/participants {by, action: add|remove|promote|demote, participants[]} -> {participants: [{phone, status}]}',
    'POST /control/groups/:id/subject {by, subject} -> {ok}',
    'POST /control/groups/:id/messages {from, text, pushName?} -> {id}: a member posts in the group',
    'POST /control/groups/:id/receipts {messageId, member, type: delivered|read} -> {ok}: a member receipts a device\'s group message',
    'POST /control/numbers/:phone {onWhatsApp?, groupAdds?: everyone|nobody} -> {ok}',
  ],
};

async function route(simulator: Simulator, req: IncomingMessage): Promise<[number, unknown]> {
  const path = new URL(req.url ?? '/', 'http://simulator').pathname;
  const method = req.method ?? 'GET';
  if (path === '/' && method === 'GET') return [200, { ...DESCRIPTION, media: simulator.mediaUrl }];
  const inbox = /^\/control\/inbox\/([^/]+)$/.exec(path);
  if (inbox && method === 'GET') {
    const parsed = phone.safeParse(decodeURIComponent(inbox[1]!));
    if (!parsed.success) throw new HttpError(400, `phone: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return [200, { messages: simulator.inbox(parsed.data) }];
  }
  const groupPath = /^\/control\/groups\/([^/]+)(?:\/(messages|participants|subject|receipts))?$/.exec(path);
  if (groupPath) return groupRoute(simulator, req, method, decodeURIComponent(groupPath[1]!), groupPath[2]);
  const numberPath = /^\/control\/numbers\/([^/]+)$/.exec(path);
  if (numberPath && method === 'POST') {
    const parsed = phone.safeParse(decodeURIComponent(numberPath[1]!));
    if (!parsed.success) throw new HttpError(400, `phone: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    simulator.setNumber(parsed.data, await parseBody(req, schemas.number));
    return [200, { ok: true }];
  }
  if (method !== 'POST') {
    throw path.startsWith('/control/') ? new HttpError(405, `${method} is not allowed here`) : new HttpError(404, 'not found');
  }
  switch (path) {
    case '/control/scan': {
      const body = await parseBody(req, schemas.scan);
      return [200, await simulator.scan(body.qr, body.phone, { forgeAccountSignature: body.forgeAccountSignature, linkedAt: body.linkedAt })];
    }
    case '/control/pair': {
      const body = await parseBody(req, schemas.pair);
      return [200, await simulator.enterPairingCode(body.phone, body.code)];
    }
    case '/control/messages': {
      const body = await parseBody(req, schemas.messages, MAX_MEDIA_BODY_BYTES);
      const options = body.addressing ? { addressing: body.addressing } : {};
      if (body.media) {
        const { data, ...media } = body.media;
        return [200, await simulator.contactSendMedia(body.from, body.to, { ...media, data: Buffer.from(data, 'base64') }, options)];
      }
      if (body.message) return [200, await simulator.contactSendContent(body.from, body.to, body.message, options)];
      return [200, await simulator.contactSend(body.from, body.to, body.text!, options)];
    }
    case '/control/contacts': {
      const { phone: number, registered, pictureUrl } = await parseBody(req, schemas.contacts);
      return [200, simulator.setContact(number, { ...(registered === undefined ? {} : { registered }), ...(pictureUrl === undefined ? {} : { pictureUrl: pictureUrl ?? undefined }) })];
    }
    case '/control/presence': {
      const body = await parseBody(req, schemas.presence);
      return [200, simulator.contactPresence(body.from, body.to, body.state)];
    }
    case '/control/media/expire':
      return [200, await simulator.expireMedia(await parseBody(req, schemas.mediaExpire))];
    case '/control/receipts': {
      const body = await parseBody(req, schemas.receipts);
      simulator.receipt(body.id, body.type);
      return [200, { ok: true }];
    }
    case '/control/retries': {
      const body = await parseBody(req, schemas.retries);
      simulator.retryReceipt(body.id, body.count);
      return [200, { ok: true }];
    }
    case '/control/unlink':
      return [200, simulator.unlink((await parseBody(req, schemas.phone)).phone)];
    case '/control/drop':
      return [200, simulator.drop((await parseBody(req, schemas.phone)).phone)];
    case '/control/replace':
      return [200, simulator.replace((await parseBody(req, schemas.phone)).phone)];
    case '/control/refusals': {
      const body = await parseBody(req, schemas.refusal);
      simulator.refuseSends(body.from, body.to, body.code === null ? undefined : { code: body.code, delayMs: body.delayMs });
      return [200, { ok: true }];
    }
    case '/control/reachout-lock': {
      const body = await parseBody(req, schemas.reachoutLock);
      return [200, simulator.reachoutLock(body.phone, body.until === null ? undefined : { endsAt: body.until, enforcementType: body.enforcementType })];
    }
    case '/control/client-version': {
      const body = await parseBody(req, schemas.clientVersion);
      simulator.requireClientVersion(body.minimum ?? undefined);
      return [200, { ok: true }];
    }
    case '/control/stream-error': {
      const body = await parseBody(req, schemas.streamError);
      return [200, simulator.streamError(body.phone, body.kind)];
    }
    case '/control/groups': {
      const body = await parseBody(req, schemas.createGroup);
      return [200, simulator.createGroup(body.creator, body.subject, body.participants, body.addressing ? { addressing: body.addressing } : {})];
    }
    case '/control/stall':
      return [200, simulator.stall((await parseBody(req, schemas.phone)).phone)];
    default:
      throw new HttpError(404, 'not found');
  }
}

async function groupRoute(simulator: Simulator, req: IncomingMessage, method: string, id: string, part: string | undefined): Promise<[number, unknown]> {
  if (part === undefined) {
    if (method !== 'GET') throw new HttpError(405, `${method} is not allowed here`);
    return [200, simulator.group(id)];
  }
  if (method !== 'POST') throw new HttpError(405, `${method} is not allowed here`);
  switch (part) {
    case 'messages': {
      const body = await parseBody(req, schemas.groupMessage);
      return [200, await simulator.groupSend(id, body.from, body.text, body.pushName ? { pushName: body.pushName } : {})];
    }
    case 'participants': {
      const body = await parseBody(req, schemas.participants);
      return [200, { participants: simulator.groupParticipants(id, body.by, body.action, body.participants) }];
    }
    case 'receipts': {
      const body = await parseBody(req, schemas.groupReceipt);
      simulator.groupReceipt(body.messageId, body.member, body.type);
      return [200, { ok: true }];
    }
    default: {
      const body = await parseBody(req, schemas.subject);
      simulator.setGroupSubject(id, body.by, body.subject);
      return [200, { ok: true }];
    }
  }
}

/** The request handler for the simulator's HTTP server. Never throws. */
export function controlApi(simulator: Simulator): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(simulator, req).then(
      ([status, body]) => reply(res, status, body),
      (error: unknown) => {
        const status = statusOf(error);
        const message = error instanceof Error ? error.message : String(error);
        reply(res, status, { error: status === 500 ? `internal error: ${message}` : message });
      },
    );
  };
}
