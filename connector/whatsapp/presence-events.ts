// A contact's presence as Baileys reports it (for chats the session subscribed to) turned into our
// presence.update events: typing and recording from chatstates, online/offline with when it was last seen.
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import type { SessionEvent } from '../../shared/protocol.ts';
import { bareLid, phoneFromJid } from './events.ts';

type PresenceEvent = Extract<SessionEvent, { name: 'presence.update' }>;

const STATES: Record<string, PresenceEvent['state']> = {
  available: 'available',
  unavailable: 'unavailable',
  composing: 'typing',
  recording: 'recording',
  paused: 'paused',
};

export async function presenceEvents(
  update: BaileysEventMap['presence.update'],
  phoneOfLid: (lid: string) => Promise<string | null | undefined>,
): Promise<PresenceEvent[]> {
  const events: PresenceEvent[] = [];
  for (const [jid, presence] of Object.entries(update.presences)) {
    const state = STATES[presence.lastKnownPresence];
    if (!state) continue;
    const lid = jid.endsWith('@lid') ? bareLid(jid) : undefined;
    const from = lid ? phoneFromJid(await phoneOfLid(jid)) : phoneFromJid(jid);
    if (!from && !lid) continue;
    const lastSeen = typeof presence.lastSeen === 'number' && presence.lastSeen > 0 ? presence.lastSeen * 1000 : undefined;
    events.push({ name: 'presence.update', from, ...(lid ? { fromLid: lid.slice(0, 64) } : {}), state, ...(lastSeen && state === 'unavailable' ? { lastSeen } : {}) });
  }
  return events;
}
