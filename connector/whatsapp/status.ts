// Maps Baileys' connection states onto our session status names. This file and events.ts are the only
// places Baileys' vocabulary is translated; nothing past them speaks Baileys.
import type { SessionStatus } from '../../shared/status.ts';
import type { DisconnectAction } from './disconnect.ts';

/** The parts of Baileys' `connection.update` payload the status depends on. */
export type ConnectionUpdateShape = { connection?: 'open' | 'connecting' | 'close' | undefined; qr?: string | undefined };

/** Status implied by a non-close connection update, or null when it implies no change. */
export function statusFromConnectionUpdate(update: ConnectionUpdateShape): SessionStatus | null {
  if (update.qr) return 'SCAN_QR_CODE';
  if (update.connection === 'open') return 'WORKING';
  if (update.connection === 'connecting') return 'STARTING';
  return null;
}

/** Status after a close, once classifyDisconnect has decided what to do about it. */
export function statusAfterClose(action: DisconnectAction): SessionStatus {
  switch (action) {
    case 'restart':
    case 'reconnect':
      return 'STARTING';
    case 'logged-out':
      return 'LOGGED_OUT';
    case 'fail':
      return 'FAILED';
  }
}
