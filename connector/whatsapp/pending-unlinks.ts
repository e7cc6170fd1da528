// Devices whose login was forgotten (logout, reset, delete) while WhatsApp could not be told: their creds,
// sealed like the auth state, stay in the connector DB until a logout reaches WhatsApp, so the phone does
// not keep a linked device that nobody can remove any more.
import { BufferJSON, type AuthenticationCreds } from '@whiskeysockets/baileys';
import type { Client } from '@libsql/client';
import type { Logger } from 'pino';
import { quarantinePendingUnlink } from '../quarantine.ts';
import { openValue, sealValue } from './auth-crypto.ts';

export type PendingUnlink = {
  sessionId: string;
  /** The device's own JID (creds.me.id), e.g. "6281…:12@s.whatsapp.net". */
  device: string;
  creds: AuthenticationCreds;
  /** Logouts tried so far that did not reach WhatsApp. */
  attempts: number;
};

export type PendingUnlinks = {
  /** Records (or keeps) the device of these paired creds as to be unlinked. */
  add(sessionId: string, creds: AuthenticationCreds & { me: { id: string } }): Promise<void>;
  /** Null also for a row that cannot be read: it is moved to the quarantine. */
  get(sessionId: string, device: string): Promise<PendingUnlink | null>;
  /** Every readable row; unreadable ones are moved to the quarantine so they never stop the others. */
  list(): Promise<PendingUnlink[]>;
  /** Counts one more attempt that did not reach WhatsApp; resolves with the new count. */
  failed(sessionId: string, device: string): Promise<number>;
  /** The device is unlinked: forget its creds. */
  done(sessionId: string, device: string): Promise<void>;
};

/** The additional data each row is sealed with, distinct from any auth_state row's. */
function rowKey(sessionId: string, device: string): string {
  return `pending-unlink\n${sessionId}\n${device}`;
}

export type PendingUnlinksOptions = { connectorId: string; logger: Logger };

export function createPendingUnlinks(db: Client, key: Buffer, { connectorId, logger }: PendingUnlinksOptions): PendingUnlinks {
  const log = logger.child({ module: 'pending-unlinks' });
  /** The row, or null after moving it to the quarantine when it does not open (another key, damaged). */
  const read = async (row: Record<string, unknown>): Promise<PendingUnlink | null> => {
    const sessionId = String(row.session_id);
    const device = String(row.device);
    try {
      const sealed = new Uint8Array(row.creds as ArrayBuffer);
      const creds = JSON.parse(openValue(key, rowKey(sessionId, device), sealed), BufferJSON.reviver) as AuthenticationCreds;
      return { sessionId, device, creds, attempts: Number(row.attempts) };
    } catch {
      const reason = 'does not open under AUTH_STATE_KEY (sealed with another key, or damaged)';
      await db.batch(quarantinePendingUnlink(connectorId, sessionId, device, reason, Date.now()), 'write');
      log.error(
        { sessionId, device, reason },
        'a pending device unlink cannot be read and was moved to the quarantine table: that device stays linked on the phone until it is removed there (was AUTH_STATE_KEY changed?)',
      );
      return null;
    }
  };

  return {
    async add(sessionId, creds) {
      const device = creds.me.id;
      const sealed = sealValue(key, rowKey(sessionId, device), JSON.stringify(creds, BufferJSON.replacer));
      // A second add for the same device (a crash between add and the wipe, then the same reset again)
      // keeps the row and its attempt count: the creds are the same login.
      await db.execute({
        sql: 'INSERT INTO pending_unlink (connector_id, session_id, device, creds) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, session_id, device) DO NOTHING',
        args: [connectorId, sessionId, device, sealed],
      });
    },
    async get(sessionId, device) {
      const result = await db.execute({
        sql: 'SELECT session_id, device, creds, attempts FROM pending_unlink WHERE connector_id = ? AND session_id = ? AND device = ?',
        args: [connectorId, sessionId, device],
      });
      const row = result.rows[0];
      return row ? await read(row) : null;
    },
    async list() {
      const result = await db.execute({
        sql: 'SELECT session_id, device, creds, attempts FROM pending_unlink WHERE connector_id = ? ORDER BY session_id, device',
        args: [connectorId],
      });
      const found: PendingUnlink[] = [];
      for (const row of result.rows) {
        const pending = await read(row);
        if (pending) found.push(pending);
      }
      return found;
    },
    async failed(sessionId, device) {
      const result = await db.execute({
        sql: 'UPDATE pending_unlink SET attempts = attempts + 1 WHERE connector_id = ? AND session_id = ? AND device = ? RETURNING attempts',
        args: [connectorId, sessionId, device],
      });
      return Number(result.rows[0]?.attempts ?? 0);
    },
    async done(sessionId, device) {
      await db.execute({ sql: 'DELETE FROM pending_unlink WHERE connector_id = ? AND session_id = ? AND device = ?', args: [connectorId, sessionId, device] });
    },
  };
}
