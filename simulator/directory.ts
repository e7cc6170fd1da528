// Every phone number is a WhatsApp user with one LID (WhatsApp's privacy id). LIDs are handed out on
// first use and stay stable for the simulator's lifetime, in both directions.
/** Baileys writes to="@s.whatsapp.net"; the server answers from the bare domain. */
export const SERVER_JID = 's.whatsapp.net';

const FIRST_LID = 100_000_000_000_001n;

export class Directory {
  #lidByPhone = new Map<string, string>();
  #phoneByLid = new Map<string, string>();
  #next = FIRST_LID;

  lidOf(phone: string): string {
    let lid = this.#lidByPhone.get(phone);
    if (!lid) {
      lid = (this.#next++).toString();
      this.#lidByPhone.set(phone, lid);
      this.#phoneByLid.set(lid, phone);
    }
    return lid;
  }

  phoneOfLid(lid: string): string | undefined {
    return this.#phoneByLid.get(lid);
  }

  /** Every LID handed out and the next one, to keep them stable across a restart (world-file.ts). */
  dump(): DirectoryDump {
    return { lids: [...this.#lidByPhone], next: this.#next.toString() };
  }

  load(dump: DirectoryDump): void {
    for (const [phone, lid] of dump.lids) {
      this.#lidByPhone.set(phone, lid);
      this.#phoneByLid.set(lid, phone);
    }
    this.#next = BigInt(dump.next);
  }
}

export type DirectoryDump = { lids: [phone: string, lid: string][]; next: string };

export type Address = { phone: string; device: number };

/**
 * Resolves a PN or LID jid ("628...:3@s.whatsapp.net", "1000...@lid") to the phone and device it
 * names, or undefined when it is neither or the LID is unknown.
 */
export function resolveJid(directory: Directory, jid: string): Address | undefined {
  const match = /^(\d+)(?::(\d+))?@(s\.whatsapp\.net|lid)$/.exec(jid);
  if (!match) return undefined;
  const [, user, device, server] = match;
  const phone = server === 'lid' ? directory.phoneOfLid(user!) : user;
  if (!phone) return undefined;
  return { phone, device: device ? Number(device) : 0 };
}

export function phoneJid(phone: string, device = 0): string {
  return device ? `${phone}:${device}@s.whatsapp.net` : `${phone}@s.whatsapp.net`;
}

export function lidJid(lid: string, device = 0): string {
  return device ? `${lid}:${device}@lid` : `${lid}@lid`;
}
