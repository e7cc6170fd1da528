// The hub <-> connector wire protocol, version 3: every frame is one JSON text message, a union keyed on
// `type`, checked with safeParse on receipt by both sides. shared/protocol.md explains the flow.
import { z } from 'zod';
import { PacingPolicy } from './pacing.ts';
import { MessageStatus, SessionStatus, StatusReasonCode } from './status.ts';

/**
 * 2: a connector dials its own hub (`/hub/connect?connector=<id>`), one hub per connector. 3: the lease is
 * renewed by `renew` frames the hub answers once it has written the lease to Turso, not by pings; the hello
 * names the connector's process (`instance`). See protocol.md.
 */
export const PROTOCOL_VERSION = 3;

/** A connector's id: in its hello, and in the `connector` query of the URL it dials. */
export const ConnectorId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/);

/** Connectors answer `ping` with this exact text so the hub's auto-response needs no wake-up. */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/**
 * The most events a connector keeps sent and unacked on one link; it sends more as acks arrive. The hub
 * holds no more than this per link either: beyond it, events are dropped unacked and come again later.
 */
export const EVENT_WINDOW = 200;

/** WebSocket close codes the hub uses; 4xxx is the application range. */
export const CloseCode = {
  /** The hello was missing, late, malformed, or its proof did not verify. */
  unauthorised: 4001,
  /** The connector speaks another protocol version. */
  unsupportedVersion: 4002,
  /** Another socket authenticated with the same connector id; the newest wins. */
  replaced: 4003,
  /**
   * The connector's lease is not renewed on this link: it ran out, another connector was given its sessions,
   * or the link was silent for a lease. The connector says hello again for a fresh lease.
   */
  leaseLost: 4005,
} as const;

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const phone = z.string().regex(/^\d{7,15}$/);
const eventId = z.string().min(1).max(64);
const messageId = z.string().min(1).max(128);
const mediaId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** A WhatsApp group as the API names it: `<digits>@g.us` or the older `<creator>-<time>@g.us`. */
export const GroupJid = z.string().regex(/^\d{5,40}(-\d{1,20})?@g\.us$/);
/** Where a message goes: a phone number (digits only) or a group. Nothing else (no broadcast, status, newsletter). */
export const Recipient = z.union([phone, GroupJid]);
export type Recipient = z.infer<typeof Recipient>;

/**
 * What the API wants a session to be. The connector converges on it: `running` keeps a socket open,
 * `stopped` closes it. A higher `authEpoch` than the connector last applied means "forget the WhatsApp
 * login" (logout and reset bump it), so the order of desired states never matters, only the latest.
 */
export const DesiredSession = z.object({
  sessionId,
  state: z.enum(['running', 'stopped']),
  authEpoch: z.number().int().nonnegative(),
  /** The number this session must be linked to; a scan by another phone is unlinked again. Optional, additive. */
  phone: phone.optional(),
  /**
   * Bumped by every explicit start. A session the connector stopped by itself (QR_TIMEOUT) stays stopped,
   * even across its restarts, until this is higher than when it stopped. Optional (0), additive.
   */
  startEpoch: z.number().int().nonnegative().optional(),
  /** The session's pacing policy as the admin set it; absent, the connector's default. Optional, additive. */
  pacing: PacingPolicy.optional(),
});
export type DesiredSession = z.infer<typeof DesiredSession>;

export const ConnectedUser = z.object({ id: z.string(), name: z.string().optional() });
export type ConnectedUser = z.infer<typeof ConnectedUser>;

/**
 * Why WhatsApp refused a sent message (its error ack). `ACCOUNT_RESTRICTED`: 463, the sending account is
 * restricted or has no privacy token for a new contact (retrying makes it worse). `MESSAGE_REJECTED`: 479,
 * the server rejected the stanza (often a stale device list). `RATE_LIMITED`: 429, rate-overlimit (additive).
 * `REFUSED`: any other code, named in `message`.
 */
export const SendFailureCode = z.enum(['ACCOUNT_RESTRICTED', 'MESSAGE_REJECTED', 'REFUSED', 'RATE_LIMITED']);
export const SendFailure = z.object({ code: SendFailureCode, message: z.string().max(500) });
export type SendFailure = z.infer<typeof SendFailure>;

/** The kinds of message kabar sends and reports; `unknown` is a received kind it does not model yet. */
export const MessageKind = z.enum(['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'poll', 'reaction', 'unknown']);
export type MessageKind = z.infer<typeof MessageKind>;
export const MediaKind = z.enum(['image', 'video', 'audio', 'document', 'sticker']);
export type MediaKind = z.infer<typeof MediaKind>;

/**
 * Media bytes the Worker stored in R2 for a send. `url` is a signed GET media link (shared/media-link.ts):
 * the connector streams the bytes from there and from nowhere else.
 */
export const OutgoingMedia = z.object({
  id: mediaId,
  url: z.string().url().max(2048),
  mimetype: z.string().min(1).max(255),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex,
});
export type OutgoingMedia = z.infer<typeof OutgoingMedia>;

/** What send.message carries; one variant per kind. Other kinds are added to this union as they land. */
export const OutgoingMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1).max(65_536) }),
  z.object({
    type: MediaKind,
    media: OutgoingMedia,
    caption: z.string().max(65_536).optional(),
    filename: z.string().min(1).max(255).optional(),
    /** audio only: a voice note (PTT). */
    voice: z.boolean().optional(),
    /** video only: plays as a GIF. */
    gif: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('location'),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().max(1000).optional(),
    address: z.string().max(1000).optional(),
  }),
  /** Each card's vCard text, built by the Worker (shared/vcard.ts) or given by the user. */
  z.object({ type: z.literal('contacts'), contacts: z.array(z.object({ name: z.string().min(1).max(256), vcard: z.string().min(1).max(10_000) })).min(1).max(20) }),
  /** A reaction to a message the connector still has; an empty emoji takes the session's reaction back. */
  z.object({ type: z.literal('reaction'), messageId, emoji: z.string().max(32) }),
  z.object({
    type: z.literal('poll'),
    name: z.string().min(1).max(256),
    options: z.array(z.string().min(1).max(100)).min(2).max(12),
    /** How many options a voter may pick; 0 means any number. */
    selectableCount: z.number().int().min(0).max(12),
  }),
]);
export type OutgoingMessage = z.infer<typeof OutgoingMessage>;

/**
 * Media a session received, as stored in R2 under `id` (the connector PUTs the decrypted bytes through a media
 * link before it emits the event). The Worker adds a signed `url` and `expiresAt` when it delivers the event.
 * `error` instead of the bytes when they could not be fetched after retries; then `size`/`sha256` are what
 * WhatsApp announced.
 */
export const ReceivedMedia = z.object({
  id: mediaId.optional(),
  mimetype: z.string().max(255),
  size: z.number().int().nonnegative(),
  sha256: sha256Hex.optional(),
  filename: z.string().max(255).optional(),
  caption: z.string().max(65_536).optional(),
  voice: z.boolean().optional(),
  gif: z.boolean().optional(),
  error: z.object({ code: z.enum(['EXPIRED', 'DOWNLOAD_FAILED', 'TOO_LARGE']), message: z.string().max(500) }).optional(),
});
export type ReceivedMedia = z.infer<typeof ReceivedMedia>;

/** A media message this session sent, as message.sent reports it: the bytes' R2 id, never the link or WhatsApp's keys. */
export const SentMedia = OutgoingMedia.omit({ url: true }).extend({
  filename: z.string().max(255).optional(),
  voice: z.boolean().optional(),
  gif: z.boolean().optional(),
});
export type SentMedia = z.infer<typeof SentMedia>;

export const ReceivedLocation = z.object({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().max(1000).optional(),
  address: z.string().max(1000).optional(),
});

/** Who an event is from: the phone when known (null when WhatsApp gave only a LID), and the LID when known. */
const Sender = { from: phone.nullable(), fromLid: z.string().max(64).optional() };

// Groups. A member is named by phone and, where WhatsApp gave it, LID; the phone is null when WhatsApp hides
// it (a LID-addressed group whose member this session has no number for).
const lid = z.string().max(64);
export const GroupRole = z.enum(['member', 'admin', 'superadmin']);
export const GroupMember = z.object({ phone: phone.nullable(), lid: lid.optional(), role: GroupRole });
export type GroupMember = z.infer<typeof GroupMember>;
/** What a list of groups shows of each: no members, so 50 groups of 1,024 still make a small frame. */
export const GroupSummary = z.object({
  id: GroupJid,
  subject: z.string().max(1024),
  /** Only admins may send. */
  announce: z.boolean(),
  /** Only admins may change the subject, description and settings. */
  locked: z.boolean(),
  size: z.number().int().nonnegative(),
  /** When it was created (epoch ms), when WhatsApp says. */
  createdAt: z.number().int().optional(),
});
export type GroupSummary = z.infer<typeof GroupSummary>;
export const GroupInfo = GroupSummary.extend({
  description: z.string().max(4096).optional(),
  owner: phone.nullable().optional(),
  participants: z.array(GroupMember).max(5_000),
});
export type GroupInfo = z.infer<typeof GroupInfo>;
export const ParticipantAction = z.enum(['add', 'remove', 'promote', 'demote']);
export type ParticipantAction = z.infer<typeof ParticipantAction>;
/**
 * WhatsApp answers each participant of an add/remove/promote/demote on its own, with an HTTP-like code:
 * 200 done, 403 their privacy settings refuse adds (an invite is due), 404 not on WhatsApp or not a member,
 * 408 they left recently, 409 already a member, 401 not allowed (e.g. they blocked this number).
 */
export const ParticipantOutcome = z.enum(['OK', 'PRIVACY', 'NOT_FOUND', 'RECENTLY_LEFT', 'ALREADY_MEMBER', 'NOT_AUTHORISED', 'FAILED']);
export type ParticipantOutcome = z.infer<typeof ParticipantOutcome>;
export const ParticipantResult = z.object({ phone, status: z.number().int(), outcome: ParticipantOutcome });
export type ParticipantResult = z.infer<typeof ParticipantResult>;
/** A group invite code as WhatsApp makes them (the tail of https://chat.whatsapp.com/<code>). */
export const InviteCode = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/);

/** The most messages one queue.enqueue (and POST /api/messages/batch) carries. */
export const QUEUE_BATCH_MAX = 1_000;

/** One message for the outbound queue: what send.message carries, but no media (a media link outlives no queue). */
export const QueueItem = z.object({
  to: Recipient,
  message: OutgoingMessage.refine((m) => !('media' in m), 'media messages are not queued'),
  replyTo: messageId.optional(),
  mentions: z.array(phone).max(1_024).optional(),
});
export type QueueItem = z.infer<typeof QueueItem>;

export const SessionEvent = z.discriminatedUnion('name', [
  z.object({ name: z.literal('qr'), qr: z.string().min(1).max(4096), qrDataUrl: z.string().startsWith('data:image/png;base64,') }),
  z.object({
    name: z.literal('connection.update'),
    status: SessionStatus,
    user: ConnectedUser.optional(),
    /** Why, in words (e.g. the network error). */
    reason: z.string().max(500).optional(),
    /** Why, as our code; present on every status but WORKING. Optional on the wire, so protocol 1 still holds. */
    code: StatusReasonCode.optional(),
  }),
  // A code for the user to type on the phone (WhatsApp > Linked devices > Link with phone number).
  z.object({ name: z.literal('pairing.code'), code: z.string().regex(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/), expiresAt: z.number().int() }),
  z.object({
    name: z.literal('message.received'),
    messageId: z.string().min(1).max(128),
    // Null when WhatsApp addressed the message by LID alone and the phone number is not known: WhatsApp
    // hides some contacts' numbers. `fromLid` then names the sender.
    from: phone.nullable(),
    fromLid: z.string().max(64).optional(),
    pushName: z.string().max(256).optional(),
    /** The text, or a media message's caption ('' when it has none). */
    text: z.string().max(65_536),
    timestamp: z.number().int(),
    /** Absent from connectors that predate it: 'text'. */
    type: MessageKind.optional(),
    media: ReceivedMedia.optional(),
    /**
     * The chat it came in: a direct chat (`id` the sender's phone, or LID) or a group, where `from` is the
     * participant who wrote it. Absent from connectors that predate groups: direct.
     */
    chat: z
      .object({ type: z.enum(['direct', 'group']), id: z.string().max(128), subject: z.string().max(1024).optional() })
      .optional(),
    /** Phones @mentioned in it. */
    mentions: z.array(phone).max(1_024).optional(),
    /** The id of the message it quotes, when it is a reply. */
    replyTo: messageId.optional(),
    location: ReceivedLocation.optional(),
    contacts: z.array(z.object({ name: z.string().max(256), vcard: z.string().max(10_000) })).max(50).optional(),
    poll: z.object({ name: z.string().max(256), options: z.array(z.string().max(256)).max(12), selectableCount: z.number().int().min(0).max(12) }).optional(),
  }),
  // Additive events about chats (each names the contact by phone when known, and by LID when WhatsApp used it).
  // A contact reacted to a message (`targetId`); an empty emoji is a reaction taken back.
  z.object({ name: z.literal('message.reaction'), messageId, targetId: messageId, ...Sender, emoji: z.string().max(64), timestamp: z.number().int() }),
  // A contact edited one of its messages (`messageId` is the original's id); `text` is the new text.
  z.object({ name: z.literal('message.edited'), messageId, ...Sender, text: z.string().max(65_536), timestamp: z.number().int() }),
  // A contact deleted one of its messages for everyone.
  z.object({ name: z.literal('message.revoked'), messageId, ...Sender, timestamp: z.number().int() }),
  // A contact voted on a poll this session sent (decrypted: the names of the options now chosen; [] withdraws).
  z.object({ name: z.literal('poll.vote'), pollId: messageId, ...Sender, options: z.array(z.string().max(256)).max(12), timestamp: z.number().int() }),
  // A contact the session subscribed to (chat.subscribe) came online, went offline, or is typing in the chat.
  z.object({
    name: z.literal('presence.update'),
    ...Sender,
    state: z.enum(['available', 'unavailable', 'typing', 'recording', 'paused']),
    /** When it was last online, epoch ms, when WhatsApp says. */
    lastSeen: z.number().int().optional(),
  }),
  // A message this session sent, with its text: stored by the connector before the send's result is
  // answered, so the record of it is as durable as the outbox.
  z.object({
    name: z.literal('message.sent'),
    messageId: z.string().min(1).max(128),
    /** A phone, or a group (which only connectors that send to groups report). */
    to: Recipient,
    text: z.string().max(65_536),
    timestamp: z.number().int(),
    // "phone": typed on the user's phone and synced to the session, not sent through the API. Absent in
    // events from connectors that predate it, which only reported API sends.
    source: z.enum(['api', 'phone']).optional(),
    /** Absent from connectors that predate it: 'text'. A media message's `text` is its caption ('' when none). */
    type: MessageKind.optional(),
    media: SentMedia.optional(),
  }),
  z.object({
    name: z.literal('message.status'),
    messageId: z.string().min(1).max(128),
    to: Recipient,
    status: MessageStatus.exclude(['pending', 'received']),
    timestamp: z.number().int(),
    /** Why WhatsApp refused the message; only with `failed`. */
    error: SendFailure.optional(),
  }),
  // WhatsApp signalled that this session sends too much or may not send (rate-overlimit, a reach-out time
  // lock, a restricted account): its outbound queue is paused until resumed (POST /api/queue/resume) or
  // `until`. Additive.
  z.object({
    name: z.literal('session.warning'),
    code: z.enum(['RATE_LIMITED', 'REACH_OUT_LOCKED', 'ACCOUNT_RESTRICTED']),
    message: z.string().max(500),
    /** When WhatsApp says the limit ends (epoch ms), if it says. */
    until: z.number().int().optional(),
    queuePaused: z.boolean(),
  }),
  // This session became a member of a group: it created it, joined by invite, or was added.
  z.object({ name: z.literal('group.joined'), group: GroupSummary, by: phone.nullable().optional() }),
  // This session is no longer a member: it left, or was removed (`by` the admin who removed it).
  z.object({ name: z.literal('group.left'), groupId: GroupJid, by: phone.nullable().optional() }),
  // What changed of a group's settings; only the fields that changed are present.
  z.object({
    name: z.literal('group.updated'),
    groupId: GroupJid,
    subject: z.string().max(1024).optional(),
    description: z.string().max(4096).optional(),
    announce: z.boolean().optional(),
    locked: z.boolean().optional(),
    by: phone.nullable().optional(),
  }),
  // Members added, removed (or left), promoted or demoted; `by` is who did it (null when WhatsApp hides it).
  z.object({
    name: z.literal('group.participants'),
    groupId: GroupJid,
    action: ParticipantAction,
    participants: z.array(z.object({ phone: phone.nullable(), lid: lid.optional() })).max(5_000),
    by: phone.nullable(),
  }),
]);
export type SessionEvent = z.infer<typeof SessionEvent>;

export const Command = z.discriminatedUnion('name', [
  z.object({ name: z.literal('send.text'), sessionId, to: phone, text: z.string().min(1).max(65_536) }),
  // Any kind of message. `replyTo` quotes a message the connector still has in its recent-message store.
  z.object({
    name: z.literal('send.message'),
    sessionId,
    to: Recipient,
    message: OutgoingMessage,
    replyTo: messageId.optional(),
    /** Phones to @mention (in a group); the text should name them as `@<phone>` for WhatsApp to show them. */
    mentions: z.array(phone).max(1_024).optional(),
  }),
  // Asks WhatsApp for a pairing code that links `phone` to this session: the session must be showing a QR.
  z.object({ name: z.literal('session.pair'), sessionId, phone }),
  // Chat actions (additive: an older connector answers INVALID_COMMAND). Edit and revoke act on a message this
  // session sent that the connector still has; read marks a received message (else the chat's latest) read.
  z.object({ name: z.literal('message.edit'), sessionId, messageId, text: z.string().min(1).max(65_536) }),
  z.object({ name: z.literal('message.revoke'), sessionId, messageId }),
  z.object({ name: z.literal('chat.read'), sessionId, chat: phone, messageId: messageId.optional() }),
  z.object({ name: z.literal('chat.presence'), sessionId, chat: phone, state: z.enum(['typing', 'recording', 'paused']) }),
  z.object({ name: z.literal('chat.subscribe'), sessionId, chat: phone }),
  z.object({ name: z.literal('contacts.check'), sessionId, phones: z.array(phone).min(1).max(50) }),
  // Groups (additive). Each needs the session WORKING; results are in CommandData.
  z.object({ name: z.literal('group.list'), sessionId }),
  z.object({ name: z.literal('group.create'), sessionId, subject: z.string().min(1).max(100), participants: z.array(phone).max(1_023) }),
  z.object({ name: z.literal('group.get'), sessionId, groupId: GroupJid }),
  z.object({
    name: z.literal('group.update'),
    sessionId,
    groupId: GroupJid,
    subject: z.string().min(1).max(100).optional(),
    description: z.string().max(2048).optional(),
    announce: z.boolean().optional(),
    locked: z.boolean().optional(),
  }),
  z.object({ name: z.literal('group.participants'), sessionId, groupId: GroupJid, action: ParticipantAction, participants: z.array(phone).min(1).max(1_023) }),
  // The group's invite code; `revoke` makes a new one, and the old stops working.
  z.object({ name: z.literal('group.invite'), sessionId, groupId: GroupJid, revoke: z.boolean().optional() }),
  z.object({ name: z.literal('group.join'), sessionId, code: InviteCode }),
  z.object({ name: z.literal('group.leave'), sessionId, groupId: GroupJid }),
  // The durable outbound queue (additive; connector/queue/). Enqueued messages get their WhatsApp id now and are
  // sent with it later, paced by the session's policy; the answer comes once they are durable.
  z.object({ name: z.literal('queue.enqueue'), sessionId, items: z.array(QueueItem).min(1).max(QUEUE_BATCH_MAX) }),
  z.object({ name: z.literal('queue.cancel'), sessionId, messageId }),
  z.object({ name: z.literal('queue.pause'), sessionId }),
  z.object({ name: z.literal('queue.resume'), sessionId }),
  z.object({ name: z.literal('queue.status'), sessionId }),
  // Failover (additive): close the session's socket and forget it here, keeping its login (no logout), before
  // the hub gives it to another connector. Answered ChatActionResult once the socket is closed.
  z.object({ name: z.literal('session.release'), sessionId }),
]);
export type Command = z.infer<typeof Command>;

export const SendTextResult = z.object({ messageId: z.string(), remoteJid: z.string(), timestamp: z.number().int() });
export type SendTextResult = z.infer<typeof SendTextResult>;

export const SendMessageResult = SendTextResult.extend({ type: MessageKind });
export type SendMessageResult = z.infer<typeof SendMessageResult>;

/** The answer to session.pair: the code as the user types it, and until when it can be entered. */
export const PairingCodeResult = z.object({ code: z.string().regex(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/), expiresAt: z.number().int() });
export type PairingCodeResult = z.infer<typeof PairingCodeResult>;

/** What WhatsApp says of a number: `exists` false when it is not on WhatsApp (Baileys drops those; we say so). */
export const ContactInfo = z.object({
  exists: z.boolean(),
  phone,
  jid: z.string().max(128),
  lid: z.string().max(128).optional(),
  name: z.string().max(256).optional(),
  pictureUrl: z.string().max(4096).optional(),
});
export type ContactInfo = z.infer<typeof ContactInfo>;
export const ContactsCheckResult = z.object({ contacts: z.array(ContactInfo).max(50) });
export type ContactsCheckResult = z.infer<typeof ContactsCheckResult>;

/** The answer to chat.read, chat.presence and chat.subscribe: done, with the message marked read if any. */
export const ChatActionResult = z.object({ done: z.literal(true), messageId: messageId.optional() });
export type ChatActionResult = z.infer<typeof ChatActionResult>;


export const GroupListResult = z.object({ groups: z.array(GroupSummary).max(10_000) });
export type GroupListResult = z.infer<typeof GroupListResult>;
/** group.create, group.get and group.update answer the group as it is now. */
export const GroupResult = z.object({ group: GroupInfo });
export type GroupResult = z.infer<typeof GroupResult>;
export const GroupParticipantsResult = z.object({ results: z.array(ParticipantResult).max(1_023) });
export type GroupParticipantsResult = z.infer<typeof GroupParticipantsResult>;
export const GroupInviteResult = z.object({ invite: z.object({ code: InviteCode, link: z.string().url() }) });
export type GroupInviteResult = z.infer<typeof GroupInviteResult>;
/** group.join and group.leave: the group joined or left. */
export const GroupMembershipResult = z.object({ groupId: GroupJid, member: z.boolean() });
export type GroupMembershipResult = z.infer<typeof GroupMembershipResult>;


/** queue.enqueue: each item's WhatsApp id, in order. */
export const QueueEnqueueResult = z.object({ queued: z.array(z.object({ messageId })).max(QUEUE_BATCH_MAX) });
export type QueueEnqueueResult = z.infer<typeof QueueEnqueueResult>;
/** queue.status, queue.pause and queue.resume: the queue as it is now. */
export const QueueState = z.object({
  depth: z.number().int().nonnegative(),
  paused: z.boolean(),
  /** Why it is paused: `PAUSED_BY_USER`, or the warning that paused it, with its end when WhatsApp gave one (additive). */
  pausedReason: z.object({ code: z.string().max(64), message: z.string().max(500), at: z.number().int(), until: z.number().int().nullable().optional() }).nullable(),
  /** When the next message may go (epoch ms): null when empty or paused. */
  nextSendAt: z.number().int().nullable(),
  /** When the last queued message should have gone at the current pace (epoch ms): null when empty or paused. */
  etaAt: z.number().int().nullable(),
});
export type QueueState = z.infer<typeof QueueState>;
export const QueueStatusResult = z.object({ queue: QueueState });
export type QueueStatusResult = z.infer<typeof QueueStatusResult>;
/** queue.cancel: the message taken out of the queue. */
export const QueueCancelResult = z.object({ cancelled: messageId });
export type QueueCancelResult = z.infer<typeof QueueCancelResult>;

/**
 * A successful command's data, by command: send.text -> SendTextResult, send.message -> SendMessageResult,
 * session.pair -> PairingCodeResult, message.edit/revoke -> SendTextResult (the edited message's id),
 * contacts.check -> ContactsCheckResult, chat.* -> ChatActionResult, group.* -> the Group*Result of its name.
 * The most specific shape comes first, as a union keeps the first match; the group results share no required
 * key with the others.
 */
export const CommandData = z.union([
  SendMessageResult,
  SendTextResult,
  PairingCodeResult,
  ContactsCheckResult,
  ChatActionResult,
  GroupListResult,
  GroupResult,
  GroupParticipantsResult,
  GroupInviteResult,
  GroupMembershipResult,
  QueueEnqueueResult,
  QueueStatusResult,
  QueueCancelResult,
]);
export type CommandData = z.infer<typeof CommandData>;

/** Error codes a connector may answer a command with; the hub maps them to API errors. */
export const CommandErrorCode = z.enum([
  'SESSION_NOT_FOUND', // this connector does not hold the session
  'SESSION_NOT_CONNECTED', // the session exists but is not logged in and open
  'SEND_FAILED', // WhatsApp refused or the send threw
  'INVALID_COMMAND', // the frame did not parse
  'SHUTTING_DOWN', // the connector is draining and takes no new commands
  'ALREADY_LOGGED_IN', // session.pair for a session that is linked already
  'NOT_READY', // session.pair before the session shows a QR (still connecting); retry shortly
  'MESSAGE_NOT_FOUND', // replyTo (or another message reference) names a message the connector no longer has
  'MEDIA_UNAVAILABLE', // the media link could not be read (expired, deleted, or the Worker unreachable)
  'EDIT_WINDOW_CLOSED', // message.edit past WhatsApp's edit window (15 minutes after sending)
  'NOT_EDITABLE', // message.edit/revoke of a message this session did not send, or an edit of one that is not text
  'GROUP_NOT_FOUND', // no such group, or this session is not a member of it (WhatsApp answers 404 or 403)
  'NOT_GROUP_ADMIN', // the change needs an admin of the group, and this session is not one
  'INVITE_INVALID', // group.join with a code that is unknown, revoked or expired
  'ALREADY_SENT', // queue.cancel of a message that has left the queue (sent, or being sent)
  'RATE_LIMITED', // a send would wait for the session's pacing longer than its budget; `retryAfterMs` says how long
]);
export type CommandErrorCode = z.infer<typeof CommandErrorCode>;

/**
 * Batched frames (protocol version 2, additive): the commands a hub relays in one turn go in one
 * `commands` frame, and the results a connector has ready in one turn in one `results` frame, so a burst of
 * sends costs a frame per turn rather than one per send on each side. Each item is exactly the single frame
 * it stands for (`command`, `result`) and is checked on its own: an item that does not parse is refused
 * alone (a command with an id is answered INVALID_COMMAND; a result is dropped, and its caller gets the
 * deadline's CONNECTOR_TIMEOUT, since the send may have gone), never the rest of the frame or the link.
 */
export const FRAME_BATCH_MAX = 256;
const batchItems = z.array(z.unknown()).min(1).max(FRAME_BATCH_MAX);
/** Numbers a connector's lease renewals on one link, so each answer is matched to its send time. */
const renewalId = z.number().int().nonnegative();

/** One command for the connector to run and answer once, by `id`, before `deadline` (epoch ms). */
export const CommandFrame = z.object({ type: z.literal('command'), id: z.string(), deadline: z.number().int(), command: Command });
export type CommandFrame = z.infer<typeof CommandFrame>;

// Hub -> connector
export const HubFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('challenge'), protocol: z.number().int(), nonce: z.string().min(16) }),
  z.object({
    type: z.literal('welcome'),
    connectorId: z.string(),
    heartbeatMs: z.number().int().positive(),
    /**
     * Every session this connector should run now. One it holds that is not listed is stopped and its
     * login kept: absence is never an instruction to unlink.
     */
    sessions: z.array(DesiredSession),
    /**
     * Sessions from the hello's `held` that were deleted (the Worker keeps a tombstone per deleted id): the
     * connector unlinks and wipes exactly these. Optional and additive, so protocol 1 still holds.
     */
    removed: z.array(sessionId).max(100_000).default([]),
    /**
     * The connector's lease: the hub may give its sessions to another connector once this long has passed
     * since the last renewal it answered (`renew`/`renewed`), so the connector closes its WhatsApp sockets
     * well before (fencing). Without it the connector renews nothing and never fences.
     */
    leaseMs: z.number().int().positive().optional(),
  }),
  z.object({ type: z.literal('desired'), sessions: z.array(DesiredSession) }),
  z.object({ type: z.literal('remove'), sessionIds: z.array(sessionId) }),
  CommandFrame,
  /** Several `command` frames, each item checked on its own (see FRAME_BATCH_MAX). */
  z.object({ type: z.literal('commands'), commands: batchItems }),
  z.object({ type: z.literal('ack'), ids: z.array(eventId) }),
  z.object({ type: z.literal('pong') }),
  /** The `renew` of that id was written to the directory: the lease runs a lease from when it was sent. */
  z.object({ type: z.literal('renewed'), id: renewalId }),
]);
export type HubFrame = z.infer<typeof HubFrame>;

/** A command's one answer; nested on `ok` so both variants share `type: "result"`. */
export const ResultFrame = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('result'), id: z.string(), ok: z.literal(true), data: CommandData }),
  z.object({
    type: z.literal('result'),
    id: z.string(),
    ok: z.literal(false),
    error: z.object({
      code: CommandErrorCode,
      message: z.string().max(1000),
      /** With RATE_LIMITED: when to try again. Additive. */
      retryAfterMs: z.number().int().nonnegative().optional(),
    }),
  }),
]);
export type ResultFrame = z.infer<typeof ResultFrame>;

/** One event from a connector's outbox, acked by `id` once the hub has stored it. */
export const EventFrame = z.object({ type: z.literal('event'), id: eventId, sessionId, at: z.number().int(), event: SessionEvent });
export type EventFrame = z.infer<typeof EventFrame>;

// Connector -> hub
export const ConnectorFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    connectorId: ConnectorId,
    nonce: z.string(),
    timestamp: z.number().int(),
    proof: z.string().regex(/^[0-9a-f]{64}$/),
    /** Sessions whose WhatsApp login this connector has stored, so the hub can keep them here. */
    held: z.array(sessionId).max(100_000),
    /**
     * The status of each session it runs right now (none after a process start). What the hub showed before
     * this hello may be stale, so it takes these, and STARTING for the rest of this connector's sessions.
     */
    live: z.array(z.object({ sessionId, status: SessionStatus })).max(100_000).default([]),
    /**
     * This connector process, fixed from its start to its exit: a drain holds while the same process says
     * hello again (a reconnect) and ends when another one does (restarted after its maintenance).
     */
    instance: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
  }),
  ResultFrame,
  /**
   * Several `result` frames, each item checked on its own (see FRAME_BATCH_MAX). `events`: the events the
   * connector had ready in the same turn (a send's `message.sent` with the send's result), handled after the
   * results exactly as an `events` frame, so one turn costs the hub one message, not two. Additive.
   */
  z.object({ type: z.literal('results'), results: batchItems, events: batchItems.optional() }),
  EventFrame,
  /** Several `event` frames, each item checked on its own (see FRAME_BATCH_MAX); each is acked by its id as before. */
  z.object({ type: z.literal('events'), events: batchItems }),
  z.object({ type: z.literal('ping') }),
  /** Asks the hub to renew this connector's lease (every leaseMs / 4); answered `renewed` with the same id. */
  z.object({ type: z.literal('renew'), id: renewalId }),
  /**
   * When each WORKING session last heard from WhatsApp (epoch ms), sent at most every SEEN_INTERVAL_MS and
   * only for sessions heard from since: not durable, not an event. Additive: an older hub drops it.
   */
  z.object({ type: z.literal('seen'), sessions: z.array(z.object({ sessionId, at: z.number().int() })).max(100_000) }),
]);
export type ConnectorFrame = z.infer<typeof ConnectorFrame>;

/** Parses one received text frame; null for anything that is not a valid frame of the given schema. */
export function parseFrame<T>(schema: z.ZodType<T>, raw: unknown): T | null {
  if (typeof raw !== 'string') return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
