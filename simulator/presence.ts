// Presence both ways (wave-2 notes, section d). A device's chatstates (`<chatstate to><composing/>`) and
// presence subscriptions reach the server; a contact's availability and chatstates reach the devices
// subscribed to it, and a subscription is answered at once with the contact's current availability.
// Nothing here is acked: WhatsApp acks none of these stanzas.
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';
import type { LinkedDevice } from './device-registry.ts';
import { phoneJid, resolveJid } from './directory.ts';
import type { World } from './world.ts';

export type ChatState = 'composing' | 'recording' | 'paused';
export type Availability = 'available' | 'unavailable';
export type ContactPresence = ChatState | Availability;

export class Presences {
  /** Contacts each device subscribed to, by "phone:device". */
  #subscriptions = new Map<string, Set<string>>();
  #availability = new Map<string, { state: Availability; lastSeen: number }>();

  subscribe(device: LinkedDevice, contact: string): void {
    const key = `${device.phone}:${device.device}`;
    let set = this.#subscriptions.get(key);
    if (!set) this.#subscriptions.set(key, (set = new Set()));
    set.add(contact);
  }

  subscribed(device: LinkedDevice, contact: string): boolean {
    return this.#subscriptions.get(`${device.phone}:${device.device}`)?.has(contact) ?? false;
  }

  availability(contact: string): { state: Availability; lastSeen: number } {
    return this.#availability.get(contact) ?? { state: 'unavailable', lastSeen: Math.floor(Date.now() / 1000) };
  }

  setAvailability(contact: string, state: Availability): void {
    this.#availability.set(contact, { state, lastSeen: Math.floor(Date.now() / 1000) });
  }
}

/** Presence is live only: WhatsApp keeps none of it for a device that is offline. */
function sendIfOnline(world: World, device: LinkedDevice, node: BinaryNode): boolean {
  const connection = world.connectionOf(device);
  if (!connection?.ready) return false;
  connection.send(node);
  return true;
}

function availabilityNode(world: World, contact: string): BinaryNode {
  const { state, lastSeen } = world.presences.availability(contact);
  return {
    tag: 'presence',
    attrs: state === 'available' ? { from: phoneJid(contact) } : { from: phoneJid(contact), type: 'unavailable', last: String(lastSeen) },
  };
}

/** A device's <presence> or <chatstate>: subscriptions are answered, chatstates reported as events. */
export function onDevicePresence(world: World, device: LinkedDevice, node: BinaryNode): void {
  const to = node.attrs.to;
  const contact = to ? resolveJid(world.directory, to)?.phone : undefined;
  if (node.tag === 'presence' && node.attrs.type === 'subscribe' && contact) {
    world.presences.subscribe(device, contact);
    world.events.emit('presence-received', { from: device.phone, to: contact, state: 'subscribe' });
    sendIfOnline(world, device, availabilityNode(world, contact));
    return;
  }
  if (node.tag === 'presence') {
    const state = node.attrs.type === 'unavailable' ? 'unavailable' : 'available';
    world.events.emit('presence-received', { from: device.phone, state });
    return;
  }
  if (node.tag === 'chatstate' && contact) {
    const composing = getBinaryNodeChild(node, 'composing');
    const state = composing ? (composing.attrs.media === 'audio' ? 'recording' : 'composing') : getBinaryNodeChild(node, 'paused') ? 'paused' : undefined;
    if (state) world.events.emit('presence-received', { from: device.phone, to: contact, state });
  }
}

/**
 * Contact `from` shows `state` to phone `to`: the devices of `to` subscribed to it get a <presence> for
 * availability or a <chatstate> for typing, recording or paused. Returns how many devices got it.
 */
export function contactPresence(world: World, from: string, to: string, state: ContactPresence): { devices: number } {
  let node: BinaryNode;
  if (state === 'available' || state === 'unavailable') {
    world.presences.setAvailability(from, state);
    node = availabilityNode(world, from);
  } else {
    const child: BinaryNode =
      state === 'paused' ? { tag: 'paused', attrs: {} } : { tag: 'composing', attrs: state === 'recording' ? { media: 'audio' } : {} };
    node = { tag: 'chatstate', attrs: { from: phoneJid(from) }, content: [child] };
  }
  const devices = world.registry.devicesOf(to).filter((device) => world.presences.subscribed(device, from));
  return { devices: devices.filter((device) => sendIfOnline(world, device, node)).length };
}
