// How much of the history WhatsApp pushes after pairing the connector lets Baileys process (HISTORY_SYNC).
// The connector reports no history message as new and keeps none of their bodies; what it takes from
// history is the LID-phone mappings and push names Baileys stores, which let a contact WhatsApp later
// names by LID alone be reported with its phone number.
import { proto, type UserFacingSocketConfig } from '@whiskeysockets/baileys';

const Type = proto.HistorySync.HistorySyncType;

export const HISTORY_SYNC_MODES = ['none', 'mappings', 'recent'] as const;
export type HistorySyncMode = (typeof HISTORY_SYNC_MODES)[number];
export const DEFAULT_HISTORY_SYNC: HistorySyncMode = 'mappings';

/**
 * Types each mode lets through. `mappings`: the initial bootstrap (carries the chats' LID-phone mappings),
 * push names and the non-blocking data; not RECENT, FULL, ON_DEMAND or status history, the bulk of a
 * phone's messages, which a gateway would decode only to throw away. Leaving RECENT out also spares
 * Baileys' 20 s wait for it on a first login. `recent` adds RECENT (and that wait). FULL is never asked for.
 */
const ALLOWED: Record<HistorySyncMode, ReadonlySet<number>> = {
  none: new Set(),
  mappings: new Set([Type.INITIAL_BOOTSTRAP, Type.PUSH_NAME, Type.NON_BLOCKING_DATA]),
  recent: new Set([Type.INITIAL_BOOTSTRAP, Type.PUSH_NAME, Type.NON_BLOCKING_DATA, Type.RECENT]),
};

/** Baileys' history options for `mode`. */
export function historySyncConfig(mode: HistorySyncMode): Pick<UserFacingSocketConfig, 'shouldSyncHistoryMessage' | 'syncFullHistory'> {
  const allowed = ALLOWED[mode];
  return {
    shouldSyncHistoryMessage: ({ syncType }) => syncType !== null && syncType !== undefined && allowed.has(syncType),
    syncFullHistory: false,
  };
}
