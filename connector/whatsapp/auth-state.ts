// Baileys auth state (creds and Signal keys) kept in the connector DB, each value encrypted with
// auth-crypto under AUTH_STATE_KEY. One Baileys `keys.set` call is one write transaction. Rows are owned by
// the connector id: a store shared by several connectors gives each only its own logins.
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import type { Client, InStatement } from '@libsql/client';
import { openValue, sealValue } from './auth-crypto.ts';

const CREDS_KIND = 'creds';
/** Stays well under SQLite's bound-parameter limit for `IN (…)` lookups. */
const GET_CHUNK = 500;

export type SessionAuth = {
  state: AuthenticationState;
  /** Persists `state.creds`; Baileys asks for it with `creds.update`. */
  saveCreds: () => Promise<void>;
};

export type AuthStore = {
  /** Loads (or starts fresh) the auth state of one session. */
  load(sessionId: string): Promise<SessionAuth>;
  /** Forgets a session's WhatsApp login entirely. */
  wipe(sessionId: string): Promise<void>;
  /** Sessions with stored creds, i.e. a WhatsApp login this connector (and no other) holds. */
  listSessions(): Promise<string[]>;
};

/** The additional data each value is sealed with: the value is only valid in this exact row. */
function rowKey(sessionId: string, kind: string, id: string): string {
  return `${sessionId}\n${kind}\n${id}`;
}

export function createAuthStore(db: Client, key: Buffer, connectorId: string): AuthStore {
  const seal = (sessionId: string, kind: string, id: string, value: unknown): InStatement => ({
    sql: 'INSERT INTO auth_state (connector_id, session_id, kind, id, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT (connector_id, session_id, kind, id) DO UPDATE SET value = excluded.value',
    args: [connectorId, sessionId, kind, id, sealValue(key, rowKey(sessionId, kind, id), JSON.stringify(value, BufferJSON.replacer))],
  });
  const open = (sessionId: string, kind: string, id: string, value: unknown): unknown =>
    JSON.parse(openValue(key, rowKey(sessionId, kind, id), new Uint8Array(value as ArrayBuffer)), BufferJSON.reviver);

  async function load(sessionId: string): Promise<SessionAuth> {
    const found = await db.execute({
      sql: 'SELECT value FROM auth_state WHERE connector_id = ? AND session_id = ? AND kind = ? AND id = ?',
      args: [connectorId, sessionId, CREDS_KIND, ''],
    });
    const row = found.rows[0];
    const creds: AuthenticationCreds = row ? (open(sessionId, CREDS_KIND, '', row.value) as AuthenticationCreds) : initAuthCreds();

    const keys = {
      async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
        const data: { [id: string]: SignalDataTypeMap[T] } = {};
        for (let i = 0; i < ids.length; i += GET_CHUNK) {
          const chunk = ids.slice(i, i + GET_CHUNK);
          const result = await db.execute({
            sql: `SELECT id, value FROM auth_state WHERE connector_id = ? AND session_id = ? AND kind = ? AND id IN (${chunk.map(() => '?').join(',')})`,
            args: [connectorId, sessionId, type, ...chunk],
          });
          for (const r of result.rows) {
            const id = String(r.id);
            let value = open(sessionId, type, id, r.value);
            // Baileys expects a protobuf object here, as its own file-based store does.
            if (type === 'app-state-sync-key') value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
            data[id] = value as SignalDataTypeMap[T];
          }
        }
        return data;
      },
      async set(data: SignalDataSet) {
        const statements: InStatement[] = [];
        for (const [kind, values] of Object.entries(data)) {
          for (const [id, value] of Object.entries(values ?? {})) {
            statements.push(
              value === null || value === undefined
                ? { sql: 'DELETE FROM auth_state WHERE connector_id = ? AND session_id = ? AND kind = ? AND id = ?', args: [connectorId, sessionId, kind, id] }
                : seal(sessionId, kind, id, value),
            );
          }
        }
        if (statements.length > 0) await db.batch(statements, 'write');
      },
      async clear() {
        await db.execute({ sql: 'DELETE FROM auth_state WHERE connector_id = ? AND session_id = ? AND kind <> ?', args: [connectorId, sessionId, CREDS_KIND] });
      },
    };

    return {
      state: { creds, keys },
      saveCreds: async () => {
        await db.execute(seal(sessionId, CREDS_KIND, '', creds));
      },
    };
  }

  return {
    load,
    async wipe(sessionId) {
      await db.execute({ sql: 'DELETE FROM auth_state WHERE connector_id = ? AND session_id = ?', args: [connectorId, sessionId] });
    },
    async listSessions() {
      const result = await db.execute({
        sql: 'SELECT session_id FROM auth_state WHERE connector_id = ? AND kind = ? ORDER BY session_id',
        args: [connectorId, CREDS_KIND],
      });
      return result.rows.map((r) => String(r.session_id));
    },
  };
}
