// What WhatsApp's phone sends a newly linked device at its first login: the initial history bootstrap and
// the app-state sync keys (`appStateSyncKeyShare`), both peer protocol messages from the own number.
// The bootstrap carries the chats the simulator knows of for the phone (the contacts its devices wrote to)
// with their LID-phone mappings and no messages. WhatsApp also serves app-state patches for those keys; the
// simulator has no app-state server, which is harmless only while Baileys does not ask (it asks when it
// processes history while awaiting its initial sync, i.e. when the app lets RECENT history through).
import { randomBytes } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import { pushHistory } from './history-sync.ts';
import { newMessageId } from './messaging.ts';
import { sendToOwnDevices } from './own-devices.ts';
import type { World } from './world.ts';

/** Makes the phone push history and app-state keys to each device at the first login after it was linked. */
export function pushAfterPairing(world: World): void {
  const fresh = new Set<string>();
  world.events.on('device-linked', ({ phone, device }) => fresh.add(`${phone}:${device}`));
  world.events.on('device-connected', ({ phone, device }) => {
    if (!fresh.delete(`${phone}:${device}`)) return;
    const linked = world.registry.find(phone, device);
    if (!linked) return;
    const contacts = new Set(world.inbox.all().filter((message) => message.from === phone).map((message) => message.to));
    void (async () => {
      await pushHistory(world, phone, [...contacts].map((contact) => ({ contact, texts: [] })), 'INITIAL_BOOTSTRAP', [linked]);
      await sendToOwnDevices(world, phone, [linked], newMessageId(), appStateKeyShare(), { t: String(Math.floor(Date.now() / 1000)), category: 'peer' });
    })().catch((error: unknown) => world.events.emit('client-error', { phone, error: error instanceof Error ? error : new Error(String(error)) }));
  });
}

/** One fresh app-state sync key, as the phone shares it with a new device. */
function appStateKeyShare(): Uint8Array {
  return proto.Message.encode({
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
      appStateSyncKeyShare: {
        keys: [
          {
            keyId: { keyId: randomBytes(6) },
            keyData: { keyData: randomBytes(32), fingerprint: { rawId: randomBytes(4).readUInt32BE(0), currentIndex: 0, deviceIndexes: [0] }, timestamp: Date.now() },
          },
        ],
      },
    },
  }).finish();
}
