// The connector's durable store of recent messages, sent and received, per session: what Baileys' `getMessage`
// answers a contact's retry receipt from once its own in-memory cache (per socket, 5 minutes) is gone, after
// a reconnect or a restart. Message contents are sealed like the outbox (AES-256-GCM under AUTH_STATE_KEY,
// bound to the row) and kept for a bounded time (MESSAGE_STORE_DAYS), then pruned.
import type { Client } from '@libsql/client';
import { proto } from '@whiskeysockets/baileys';
import { openValue, sealValue } from './auth-crypto.ts';

export const RECENT_MESSAGE_TABLE = `CREATE TABLE IF NOT EXISTS recent_message (
    connector_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (connector_id, session_id, message_id)
  ) WITHOUT ROWID`;
export const RECENT_MESSAGE_INDEX = 'CREATE INDEX IF NOT EXISTS recent_message_at ON recent_message (connector_id, at)';

export type RecentMessage = {
  id: string;
  /** The chat as Baileys keyed it (a PN or LID jid). */
  remoteJid: string;
  fromMe: boolean;
  message: proto.IMessage;
  /** When it was sent or received, epoch ms; what pruning goes by. */
  at: number;
};

export type RecentMessages = {
  /** Stores (or replaces) a message of the session. */
  put(sessionId: string, message: RecentMessage): Promise<void>;
  /** The stored message, or null when it is unknown, pruned, or no longer opens under the key. */
  get(sessionId: string, messageId: string): Promise<RecentMessage | null>;
  /** Deletes messages older than the retention; returns how many. */
  prune(now: number): Promise<number>;
  /** Deletes every message of a session whose login is gone (removed, reset or logged out from the phone). */
  forget(sessionId: string): Promise<void>;
};

const rowKey = (sessionId: string, messageId: string) => `recent-message\n${sessionId}\n${messageId}`;

export function createRecentMessages(db: Client, key: Buffer, { connectorId, retentionMs }: { connectorId: string; retentionMs: number }): RecentMessages {
  return {
    async put(sessionId, { id, remoteJid, fromMe, message, at }) {
      const body = JSON.stringify({ remoteJid, fromMe, message: Buffer.from(proto.Message.encode(message).finish()).toString('base64') });
      await db.execute({
        sql: `INSERT INTO recent_message (connector_id, session_id, message_id, at, value) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (connector_id, session_id, message_id) DO UPDATE SET at = excluded.at, value = excluded.value`,
        args: [connectorId, sessionId, id, at, sealValue(key, rowKey(sessionId, id), body)],
      });
    },
    async get(sessionId, messageId) {
      const result = await db.execute({
        sql: 'SELECT at, value FROM recent_message WHERE connector_id = ? AND session_id = ? AND message_id = ?',
        args: [connectorId, sessionId, messageId],
      });
      const row = result.rows[0];
      if (!row) return null;
      try {
        const body = JSON.parse(openValue(key, rowKey(sessionId, messageId), new Uint8Array(row.value as ArrayBuffer))) as {
          remoteJid: string;
          fromMe: boolean;
          message: string;
        };
        const message = proto.Message.decode(Buffer.from(body.message, 'base64'));
        return { id: messageId, remoteJid: body.remoteJid, fromMe: body.fromMe, message, at: Number(row.at) };
      } catch {
        // Sealed under another key or damaged: as good as absent, which Baileys handles (no resend).
        return null;
      }
    },
    async prune(now) {
      const result = await db.execute({ sql: 'DELETE FROM recent_message WHERE connector_id = ? AND at < ?', args: [connectorId, now - retentionMs] });
      return result.rowsAffected;
    },
    async forget(sessionId) {
      await db.execute({ sql: 'DELETE FROM recent_message WHERE connector_id = ? AND session_id = ?', args: [connectorId, sessionId] });
    },
  };
}
