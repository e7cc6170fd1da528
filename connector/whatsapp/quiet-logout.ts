// Logs a paired device out of WhatsApp when no session socket is open for it: one socket with the stored
// creds, opened only to send the logout. Nothing it sees becomes a session event (no QR, no status), so
// the API never takes it for a running session.
import type { AuthenticationCreds, SignalDataSet, SignalDataTypeMap, SignalKeyStore } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { WaStatusCode } from './disconnect.ts';
import { BASE_SOCKET_CONFIG, type SessionOptions, type SocketFactory } from './session.ts';

export type QuietLogoutOptions = {
  creds: AuthenticationCreds;
  makeSocket: SocketFactory;
  socketConfig: SessionOptions['socketConfig'];
  /** How long to wait for the login to open before giving up on this attempt. */
  timeoutMs: number;
  baileysLogger?: Logger;
  /** Aborting (connector shutdown) ends the socket; the attempt counts as not having reached WhatsApp. */
  signal?: AbortSignal;
};

export type QuietLogoutResult =
  /** WhatsApp took the logout: the phone no longer lists the device. */
  | { outcome: 'unlinked' }
  /** WhatsApp refused the login with 401: the phone had already removed the device. */
  | { outcome: 'already-unlinked' }
  /** WhatsApp was not reached (or not in time); the device may still be linked. */
  | { outcome: 'not-reached'; reason: string };

/**
 * Signal keys kept in memory only: the session's own keys are already wiped, and a socket that logs out
 * at once needs them for nothing it keeps (Baileys may still store prekeys or its own LID mapping).
 */
function throwawayKeys(): SignalKeyStore {
  const data = new Map<string, unknown>();
  return {
    get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const found: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const value = data.get(`${type}\n${id}`);
        if (value !== undefined) found[id] = value as SignalDataTypeMap[T];
      }
      return found;
    },
    set(set: SignalDataSet) {
      for (const [type, values] of Object.entries(set)) {
        for (const [id, value] of Object.entries(values ?? {})) {
          if (value === null || value === undefined) data.delete(`${type}\n${id}`);
          else data.set(`${type}\n${id}`, value);
        }
      }
    },
  };
}

export function quietLogout(o: QuietLogoutOptions): Promise<QuietLogoutResult> {
  if (o.signal?.aborted) return Promise.resolve({ outcome: 'not-reached', reason: 'connector shutting down' });
  const sock = o.makeSocket({
    ...BASE_SOCKET_CONFIG,
    ...o.socketConfig,
    auth: { creds: o.creds, keys: throwawayKeys() },
    ...(o.baileysLogger ? { logger: o.baileysLogger } : {}),
  });
  return new Promise((resolve) => {
    let loggingOut = false;
    let settled = false;
    const finish = (result: QuietLogoutResult, endSocket: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (endSocket) sock.end(undefined);
      resolve(result);
    };
    const timer = setTimeout(() => finish({ outcome: 'not-reached', reason: `WhatsApp did not open the login within ${o.timeoutMs} ms` }, true), o.timeoutMs);
    const onAbort = () => finish({ outcome: 'not-reached', reason: 'connector shutting down' }, true);
    o.signal?.addEventListener('abort', onAbort);

    sock.ev.on('connection.update', (update) => {
      if (update.connection === 'open' && !loggingOut) {
        loggingOut = true;
        sock.logout().then(
          () => finish({ outcome: 'unlinked' }, false),
          (err: unknown) => finish({ outcome: 'not-reached', reason: `logout failed: ${err instanceof Error ? err.message : String(err)}` }, true),
        );
        return;
      }
      // Our own logout closes the socket with 401 too; that close belongs to the logout above.
      if (update.connection !== 'close' || loggingOut) return;
      const error = update.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
      const code = error?.output?.statusCode;
      if (code === WaStatusCode.loggedOut) finish({ outcome: 'already-unlinked' }, false);
      else finish({ outcome: 'not-reached', reason: `${code ?? 'no status'}: ${error?.message ?? 'closed'}`.slice(0, 500) }, false);
    });
  });
}
