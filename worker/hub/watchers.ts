// Live-stream sockets (GET /api/events) held by the hub. A stream opens only with a ticket the hub itself
// issued, over RPC, to the Worker after the Worker checked the API key: single use, unguessable, valid for
// seconds and never shown to the client (Durable Object RPC cannot carry a WebSocket, so the socket itself
// still comes through fetch). Each socket is tagged with its session and its key, so deleting the session
// or revoking the key closes it at once. An admin stream (the dashboard's) watches one session or all of
// them; a browser cannot send the admin token on a WebSocket, so the admin first gets a pass (see `issuePass`).
import { PING_FRAME, PONG_FRAME } from '../../shared/protocol.ts';
import type { Snapshots } from './snapshots.ts';

/** WebSocket close codes a stream client may see; 4xxx is the application range. */
export const StreamCloseCode = {
  sessionDeleted: 4004,
  /** No ping (or any other frame) for longer than the idle limit. */
  idle: 4008,
  /** The key the stream was opened with was rotated or revoked. */
  keyRevoked: 4009,
  /** The session moved to another connector's hub: open the stream again and it opens there. */
  moved: 4010,
} as const;

export interface WatcherLimits {
  perSession: number;
  total: number;
}

/** Why a stream was not opened, in the API's error vocabulary. */
export interface StreamRefusal {
  refused: 'UNAUTHORISED' | 'RATE_LIMITED';
  message: string;
}

export interface WatcherAttachment {
  stage: 'watching';
  sessionId: string;
  keyHash: string;
  /** When the client last sent anything; pings answered by the auto-response are read from the runtime. */
  seenAt: number;
}

/** The scope of an admin stream that watches every session. */
export const ALL_SESSIONS = '*';
/** Stands for the key of an admin stream: not a key hash (those are hex), so no key revocation closes it. */
const ADMIN_KEY = 'admin';
/** A pass is carried by the client from the admin POST to its WebSocket open: long enough for a slow page. */
const PASS_TTL_MS = 30_000;
/** The first frame of an all-sessions stream lists at most this many, the most recently changed first. */
export const READY_SESSIONS_MAX = 500;

/** Carries the ticket from the Worker to the hub; a value the hub did not issue opens nothing. */
export const STREAM_TICKET_HEADER = 'x-kabar-stream-ticket';

/** A revocation is final; remembered this long, which outlasts any request admitted before it. */
const REVOKED_MEMORY_MS = 60 * 60_000;
/** Between the Worker's two calls to the hub; far longer than they take. */
const TICKET_TTL_MS = 10_000;

interface Ticket {
  sessionId: string;
  keyHash: string;
  expiresAt: number;
}

function randomTicket(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class Watchers {
  private readonly ctx: DurableObjectState;
  private readonly snapshots: Snapshots;
  /** Issued and not yet used; they count against the bounds, so concurrent opens cannot overshoot them. */
  private readonly tickets = new Map<string, Ticket>();
  /** Admin passes handed out and not yet redeemed, each for one session or ALL_SESSIONS. */
  private readonly passes = new Map<string, { scope: string; expiresAt: number }>();

  constructor(ctx: DurableObjectState, snapshots: Snapshots) {
    this.ctx = ctx;
    this.snapshots = snapshots;
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS revoked_keys (key_hash TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL)');
  }

  /** For a key the Worker has just checked: a ticket to open one stream with, or why not. */
  issue(sessionId: string, keyHash: string, limits: WatcherLimits, now: number): { ticket: string } | StreamRefusal {
    for (const [ticket, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(ticket);
    // A key revoked after the Worker admitted it, but before this call: its streams were closed already.
    if (this.ctx.storage.sql.exec('SELECT 1 FROM revoked_keys WHERE key_hash = ?', keyHash).toArray().length > 0) {
      return { refused: 'UNAUTHORISED', message: 'API key revoked' };
    }
    const waiting = [...this.tickets.values()];
    if (this.ctx.getWebSockets(`watch:${sessionId}`).length + waiting.filter((t) => t.sessionId === sessionId).length >= limits.perSession) {
      return { refused: 'RATE_LIMITED', message: `At most ${limits.perSession} live streams per session are open at once; close one first` };
    }
    if (this.ctx.getWebSockets('watcher').length + waiting.length >= limits.total) {
      return { refused: 'RATE_LIMITED', message: 'The gateway has as many live streams open as it allows; retry later' };
    }
    const ticket = randomTicket();
    this.tickets.set(ticket, { sessionId, keyHash, expiresAt: now + TICKET_TTL_MS });
    return { ticket };
  }

  /**
   * For an admin the Worker has just checked: a pass the client carries to its WebSocket open. Unlike a
   * ticket it is shown to the client, so it only buys a ticket, once, within seconds (`redeemPass`).
   */
  issuePass(scope: string, now: number): { pass: string; expiresAt: number } {
    for (const [pass, p] of this.passes) if (p.expiresAt <= now) this.passes.delete(pass);
    const pass = randomTicket();
    const expiresAt = now + PASS_TTL_MS;
    this.passes.set(pass, { scope, expiresAt });
    return { pass, expiresAt };
  }

  /** Spends a pass on a ticket for its scope; null for a pass the hub did not issue, or used, or expired. */
  redeemPass(pass: string, limits: WatcherLimits, now: number): { ticket: string } | StreamRefusal | null {
    const issued = this.passes.get(pass);
    this.passes.delete(pass);
    if (!issued || issued.expiresAt <= now) return null;
    return this.issue(issued.scope, ADMIN_KEY, limits, now);
  }

  /** For the Worker fanning an all-sessions admin stream in from every hub, after it spent a pass. */
  issueAdmin(scope: string, limits: WatcherLimits, now: number): { ticket: string } | StreamRefusal {
    return this.issue(scope, ADMIN_KEY, limits, now);
  }

  /** The session's streams here close so their clients reopen them on the hub that holds it now. */
  moveAway(sessionId: string): void {
    for (const ws of this.ctx.getWebSockets(`watch:${sessionId}`)) ws.close(StreamCloseCode.moved, 'session moved; open the stream again');
  }

  /** Opens the stream a ticket was issued for, once; null for a ticket the hub does not hold. */
  open(ticket: string, now: number): WebSocket | null {
    const issued = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!issued || issued.expiresAt <= now) return null;
    const { sessionId, keyHash } = issued;
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, ['watcher', `watch:${sessionId}`, `key:${keyHash}`]);
    server.serializeAttachment({ stage: 'watching', sessionId, keyHash, seenAt: now } satisfies WatcherAttachment);
    if (sessionId === ALL_SESSIONS) {
      server.send(JSON.stringify({ event: 'stream.ready', timestamp: now, data: { sessions: this.snapshots.recent(READY_SESSIONS_MAX) } }));
      return client;
    }
    const snapshot = this.snapshots.get(sessionId);
    server.send(JSON.stringify({ event: 'stream.ready', sessionId, timestamp: now, data: { status: snapshot?.status ?? null, qrDataUrl: snapshot?.qrDataUrl ?? null } }));
    return client;
  }

  /** A frame from a stream client: proof of life. A ping that was not byte-identical still gets its pong. */
  heard(ws: WebSocket, attachment: WatcherAttachment, message: string | ArrayBuffer, now: number): void {
    ws.serializeAttachment({ ...attachment, seenAt: now } satisfies WatcherAttachment);
    if (typeof message === 'string' && message !== PING_FRAME && message.includes('"ping"')) ws.send(PONG_FRAME);
  }

  broadcast(sessionId: string, text: string): void {
    for (const ws of [...this.ctx.getWebSockets(`watch:${sessionId}`), ...this.ctx.getWebSockets(`watch:${ALL_SESSIONS}`)]) {
      try {
        ws.send(text);
      } catch {
        // a watcher that went away; its close handler cleans up
      }
    }
  }

  /** To admin streams only (the session's and the all-sessions ones): key streams keep the webhooks' events. */
  toAdmins(sessionId: string, text: string): void {
    for (const ws of this.ctx.getWebSockets(`key:${ADMIN_KEY}`)) {
      const watched = (ws.deserializeAttachment() as WatcherAttachment | null)?.sessionId;
      if (watched !== sessionId && watched !== ALL_SESSIONS) continue;
      try {
        ws.send(text);
      } catch {
        // a watcher that went away; its close handler cleans up
      }
    }
  }

  closeSession(sessionId: string, now: number): void {
    for (const ws of this.ctx.getWebSockets(`watch:${sessionId}`)) ws.close(StreamCloseCode.sessionDeleted, 'session deleted');
    const removed = JSON.stringify({ event: 'session.removed', sessionId, timestamp: now, data: {} });
    for (const ws of this.ctx.getWebSockets(`watch:${ALL_SESSIONS}`)) {
      try {
        ws.send(removed);
      } catch {
        // a watcher that went away; its close handler cleans up
      }
    }
  }

  /** Closes the streams of revoked keys and refuses those keys from now on. */
  closeKeys(keyHashes: readonly string[], now: number): void {
    const sql = this.ctx.storage.sql;
    sql.exec('DELETE FROM revoked_keys WHERE revoked_at < ?', now - REVOKED_MEMORY_MS);
    for (const hash of keyHashes) {
      for (const [ticket, t] of this.tickets) if (t.keyHash === hash) this.tickets.delete(ticket);
      sql.exec('INSERT OR REPLACE INTO revoked_keys (key_hash, revoked_at) VALUES (?, ?)', hash, now);
      for (const ws of this.ctx.getWebSockets(`key:${hash}`)) ws.close(StreamCloseCode.keyRevoked, 'API key revoked');
    }
  }

  /** Closes streams silent for longer than the idle limit; returns when the next one would be due. */
  sweep(idleMs: number, now: number): number | null {
    let next: number | null = null;
    for (const ws of this.ctx.getWebSockets('watcher')) {
      const attachment = ws.deserializeAttachment() as WatcherAttachment | null;
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const due = Math.max(attachment?.seenAt ?? 0, pinged) + idleMs;
      if (due <= now) ws.close(StreamCloseCode.idle, 'silent too long; send {"type":"ping"} every 30 s');
      else next = Math.min(next ?? due, due);
    }
    return next;
  }
}
