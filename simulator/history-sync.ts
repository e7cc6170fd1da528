// After pairing, WhatsApp's phone pushes history to the new device: a peer `protocolMessage`
// HISTORY_SYNC_NOTIFICATION from the own number. WhatsApp puts the zlib-compressed `HistorySync` on its media
// server; the simulator has none, so it sends the initial bootstrap inline
// (`initialHistBootstrapInlinePayload`), which Baileys reads first (Utils/history.js,
// downloadAndProcessHistorySyncNotification). The history carries the chats' LID-phone mappings
// (`phoneNumberToLidMappings`), which Baileys stores when the app lets that history type through.
import { deflateSync } from 'node:zlib';
import { proto } from '@whiskeysockets/baileys';
import { lidJid, phoneJid } from './directory.ts';
import type { LinkedDevice } from './device-registry.ts';
import { NoLinkedDevice } from './errors.ts';
import { newMessageId } from './messaging.ts';
import { sendToOwnDevices } from './own-devices.ts';
import type { World } from './world.ts';

export type HistoryChat = { contact: string; texts: string[] };

/** The chunk types a phone pushes; the numbers are WhatsApp's (the same in HistorySync and the notification). */
export const HISTORY_SYNC_TYPES = {
  INITIAL_BOOTSTRAP: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
  INITIAL_STATUS_V3: proto.HistorySync.HistorySyncType.INITIAL_STATUS_V3,
  RECENT: proto.HistorySync.HistorySyncType.RECENT,
  FULL: proto.HistorySync.HistorySyncType.FULL,
  PUSH_NAME: proto.HistorySync.HistorySyncType.PUSH_NAME,
} as const;
export type HistorySyncTypeName = keyof typeof HISTORY_SYNC_TYPES;

/**
 * Phone `phone` pushes a history chunk of `chats` (each contact's texts to it) to its linked devices; an
 * initial bootstrap unless told. Every chunk rides inline: WhatsApp puts RECENT and FULL chunks on its media
 * server, which the simulator lacks, and Baileys reads an inline payload of any type first.
 */
export async function pushHistory(
  world: World,
  phone: string,
  chats: HistoryChat[],
  syncTypeName: HistorySyncTypeName = 'INITIAL_BOOTSTRAP',
  devices: LinkedDevice[] = world.registry.devicesOf(phone),
): Promise<{ id: string }> {
  const syncType = HISTORY_SYNC_TYPES[syncTypeName];
  if (devices.length === 0) throw new NoLinkedDevice(`phone ${phone} has no linked device`);
  const now = Math.floor(Date.now() / 1000);
  const history = proto.HistorySync.encode({
    syncType,
    progress: 100,
    chunkOrder: 0,
    phoneNumberToLidMappings: chats.map(({ contact }) => ({ pnJid: phoneJid(contact), lidJid: lidJid(world.directory.lidOf(contact)) })),
    conversations: chats.map(({ contact, texts }) => ({
      id: phoneJid(contact),
      lidJid: lidJid(world.directory.lidOf(contact)),
      messages: texts.map((text, i) => ({
        message: { key: { remoteJid: phoneJid(contact), fromMe: false, id: newMessageId() }, message: { conversation: text }, messageTimestamp: now - texts.length + i },
      })),
    })),
  }).finish();
  const id = newMessageId();
  const plaintext = proto.Message.encode({
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: syncType as number as proto.Message.HistorySyncType,
        chunkOrder: 0,
        progress: 100,
        initialHistBootstrapInlinePayload: deflateSync(history),
      },
    },
  }).finish();
  await sendToOwnDevices(world, phone, devices, id, plaintext, { t: String(now), category: 'peer' });
  return { id };
}
