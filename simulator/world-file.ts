// Keeps the simulated WhatsApp in a JSON file: the server's Noise key, LIDs, accounts with their linked
// devices and published keys, messages waiting for a device, contacts with their Signal sessions, and
// inboxes. A simulator started on the same file lets devices linked before log in again without a scan.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BinaryNode, KeyPair } from '@whiskeysockets/baileys';
import { Contact } from './contacts.ts';
import type { SavedContact } from './contacts.ts';
import { PreKeyPool } from './device-registry.ts';
import type { Account, LinkedDevice } from './device-registry.ts';
import type { DirectoryDump } from './directory.ts';
import type { SavedGroup } from './groups.ts';
import type { SimulatorEventName } from './events.ts';
import type { SentMessage } from './inbox.ts';
import type { SavedSenderKeys } from './sender-keys.ts';
import type { World } from './world.ts';

const VERSION = 1;

type SavedDevice = Omit<LinkedDevice, 'preKeys' | 'unreceipted'> & {
  preKeys: Buffer;
  unreceipted: [id: string, message: { from: string; plaintext: Uint8Array; node: BinaryNode }][];
};

export type WorldFile = {
  version: typeof VERSION;
  serverStatic: KeyPair;
  directory: DirectoryDump;
  accounts: { phone: string; accountKey: KeyPair; nextDevice: number; devices: SavedDevice[] }[];
  contacts: ({ phone: string } & SavedContact)[];
  inbox: SentMessage[];
  /** Absent in files written before groups. */
  groups?: SavedGroup[];
  senderKeys?: SavedSenderKeys;
};

/** Events after which the world may have changed. Pings (iq get) change nothing and come often. */
const CHANGES: SimulatorEventName[] = [
  'device-linked',
  'device-connected',
  'device-disconnected',
  'device-unlinked',
  'message-stored',
  'contact-message-sent',
  'receipt-received',
  'retry-received',
  'nack-received',
  'messages-requeued',
  'group-changed',
  'group-message-sent',
];

/** JSON cannot hold bytes: each Uint8Array is written as {$bytes: base64}. */
function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, encode(inner)]));
  }
  return value;
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === '$bytes') return Buffer.from(String(entries[0]![1]), 'base64');
    return Object.fromEntries(entries.map(([key, inner]) => [key, decode(inner)]));
  }
  return value;
}

export function snapshotWorld(world: World): WorldFile {
  return {
    version: VERSION,
    serverStatic: world.serverStatic,
    directory: world.directory.dump(),
    accounts: world.registry.accounts().map((account) => ({
      phone: account.phone,
      accountKey: account.accountKey,
      nextDevice: account.nextDevice,
      devices: [...account.devices.values()].map((device) => ({
        ...device,
        preKeys: device.preKeys.records,
        unreceipted: [...device.unreceipted].map(([id, { from, plaintext, node }]) => [id, { from, plaintext, node }]),
      })),
    })),
    contacts: world.contacts.all().map((contact) => ({ phone: contact.phone, ...contact.save() })),
    inbox: world.inbox.all(),
    groups: world.groups.dump(),
    senderKeys: world.senderKeys.dump(),
  };
}

/** The saved world, or undefined when there is no file yet. A file it cannot read stops the start: it is never overwritten. */
export function readWorldFile(path: string): WorldFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let file: WorldFile;
  try {
    file = decode(JSON.parse(text)) as WorldFile;
  } catch (error) {
    throw new Error(`simulator state file ${path} is not valid JSON (${(error as Error).message}); move it away to start afresh`);
  }
  if (file?.version !== VERSION) throw new Error(`simulator state file ${path} has version ${String(file?.version)}, expected ${VERSION}`);
  return file;
}

/** Fills a new world (made with the file's serverStatic) with what the file holds. */
export function restoreWorld(world: World, file: WorldFile): void {
  world.directory.load(file.directory);
  for (const saved of file.accounts) {
    const account: Account = { phone: saved.phone, accountKey: saved.accountKey, nextDevice: saved.nextDevice, devices: new Map() };
    for (const device of saved.devices) {
      const restored: LinkedDevice = {
        ...device,
        preKeys: PreKeyPool.of(device.preKeys),
        unreceipted: new Map(device.unreceipted.map(([id, message]) => [id, { ...message, connection: undefined }])),
      };
      // Messages written to a connection of the last run and never receipted: the device gets them again at its
      // next login, ahead of what was queued (they are older), as when a connection dies.
      const queued = new Set(restored.offline.map((node) => node.attrs.id));
      const written = [...restored.unreceipted].filter(([id]) => !queued.has(id)).map(([, message]) => message.node);
      restored.offline.unshift(...written);
      account.devices.set(restored.device, restored);
    }
    world.registry.restore(account);
  }
  for (const { phone, ...saved } of file.contacts) world.contacts.restore(new Contact(phone, saved));
  for (const message of file.inbox) world.inbox.record(message);
  if (file.groups) world.groups.load(file.groups);
  if (file.senderKeys) world.senderKeys.load(file.senderKeys);
}

export type WorldFileKeeper = {
  /** Writes the world now (on close). */
  save(): void;
  /** Stops watching for changes. */
  stop(): void;
};

/**
 * Saves the world to `path` after each change, at most once per `delayMs` (changes meanwhile are
 * coalesced into that one write). Writes go to a temporary file renamed over the old one, so a crash
 * mid-write leaves the previous state.
 */
export function keepWorldInFile(world: World, path: string, delayMs = 250): WorldFileKeeper {
  mkdirSync(dirname(path), { recursive: true });
  let timer: NodeJS.Timeout | undefined;
  const save = () => {
    clearTimeout(timer);
    timer = undefined;
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(encode(snapshotWorld(world))));
    renameSync(temporary, path);
  };
  const saveLater = () => {
    try {
      save();
    } catch (error) {
      // The simulator keeps running on what it holds in memory; the next change or close tries again.
      console.error(`simulator: could not save its state to ${path}: ${(error as Error).message}`);
    }
  };
  const changed = () => {
    timer ??= setTimeout(saveLater, delayMs).unref();
  };
  const unsubscribe = [
    ...CHANGES.map((event) => world.events.on(event, changed)),
    // Prekey uploads and logouts are iq sets; pings are gets.
    world.events.on('iq-answered', (iq) => iq.type === 'set' && changed()),
  ];
  return {
    save,
    stop: () => {
      clearTimeout(timer);
      for (const off of unsubscribe) off();
    },
  };
}
