// WhatsApp's reach-out time lock: for a while, a number may not start chats with new contacts. WhatsApp
// tells the account's linked devices with a `mex` notification, op `NotificationUserReachoutTimelockUpdate`,
// whose JSON carries `xwa2_notify_account_reachout_timelock {is_active, time_enforcement_ends (unix seconds,
// as a string), enforcement_type}`; a device can also ask with the w:mex query REACHOUT_TIMELOCK
// (`xwa2_fetch_account_reachout_timelock`, same fields). Baileys 7 reads both into connection.update
// `reachoutTimeLock` (Socket/messages-recv.js handleReachoutTimelockNotification, Socket/socket.js
// fetchAccountReachoutTimelock).
// Not known, so not simulated: which sends the lock refuses while it holds (a "new" contact is not defined
// publicly; Baileys reads a 463 error ack as either a restriction or the lock). A test that wants a refusal
// switches one on with the send refusals (send-refusals.ts).
import type { BinaryNode } from '@whiskeysockets/baileys';
import { SERVER_JID } from './directory.ts';
import type { World } from './world.ts';

/** Baileys' QueryIds.REACHOUT_TIMELOCK: the w:mex query a device asks for its account's lock with. */
export const REACHOUT_TIMELOCK_QUERY_ID = '23983697327930364';

export type ReachoutLock = {
  /** When the lock ends (epoch ms); WhatsApp sends it in whole seconds. */
  endsAt: number;
  /** WhatsApp's reason, e.g. "DEFAULT" or "BIZ_QUALITY". */
  enforcementType: string;
};

/** The fields WhatsApp sends for a lock in force, or a lifted one. */
function payload(lock: ReachoutLock | undefined) {
  if (!lock) return { is_active: false, time_enforcement_ends: '0', enforcement_type: 'DEFAULT' };
  return { is_active: true, time_enforcement_ends: String(Math.floor(lock.endsAt / 1_000)), enforcement_type: lock.enforcementType };
}

export class ReachoutLocks {
  readonly #locks = new Map<string, ReachoutLock>();

  set(phone: string, lock: ReachoutLock | undefined): void {
    if (lock) this.#locks.set(phone, lock);
    else this.#locks.delete(phone);
  }

  /** The lock in force on `phone`'s account at `now`; one past its end has lifted by itself. */
  of(phone: string, now: number): ReachoutLock | undefined {
    const lock = this.#locks.get(phone);
    return lock && lock.endsAt > now ? lock : undefined;
  }
}

/**
 * Locks (or, with no lock, unlocks) `phone`'s account and tells each of its linked devices; one offline
 * hears it when it next connects.
 */
export function setReachoutLock(world: World, phone: string, lock: ReachoutLock | undefined): { devices: number } {
  world.reachoutLocks.set(phone, lock);
  const data = { data: { xwa2_notify_account_reachout_timelock: payload(lock) } };
  const devices = world.registry.devicesOf(phone);
  for (const device of devices) {
    const notification: BinaryNode = {
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'mex', id: world.nextIqId(), t: String(Math.floor(Date.now() / 1_000)) },
      content: [{ tag: 'update', attrs: { op_name: 'NotificationUserReachoutTimelockUpdate' }, content: Buffer.from(JSON.stringify(data)) }],
    };
    world.deliver(device, notification);
  }
  return { devices: devices.length };
}

/** The `<result>` answering a device's REACHOUT_TIMELOCK query for its account. */
export function reachoutLockResult(world: World, phone: string): BinaryNode {
  const data = { data: { xwa2_fetch_account_reachout_timelock: payload(world.reachoutLocks.of(phone, Date.now())) } };
  return { tag: 'result', attrs: {}, content: Buffer.from(JSON.stringify(data)) };
}
