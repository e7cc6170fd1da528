// What the services need from the outside world, as interfaces: the composition root hands in the real
// Durable Object stubs, and nothing in services/ knows about HTTP or bindings.
import type { Command } from '../../shared/protocol.ts';
import type { SessionStatus } from '../../shared/status.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { CommandOutcome, SessionView } from '../hub/hub.ts';
import type { MoveOutcome } from '../hub/session-move.ts';

export interface HubPort {
  /** `expect`: the status to show until the connector reports; omitted, the current one stays. */
  syncSession(sessionId: string, expect?: SessionStatus): Promise<void>;
  /** `connectorId`: the connector the deleted session was on (null: none), read with the delete. */
  removeSession(sessionId: string, connectorId: string | null): Promise<void>;
  view(sessionId: string): Promise<SessionView | null>;
  attachedConnectors(): Promise<string[]>;
  command(command: Command, timeoutMs: number): Promise<CommandOutcome>;
  /** Closes the live streams opened with these keys (by hash) and refuses them new ones. */
  closeStreams(keyHashes: string[]): Promise<void>;
  /** Moves a session to an attached connector: released on its old one first, never unlinked. */
  moveSession(sessionId: string, to: string): Promise<MoveOutcome>;
}

export interface KeyGatesPort {
  /** Makes the gates of these key hashes drop their cached rows (after revocation). */
  forget(keyHashes: string[]): Promise<void>;
  /** Makes the gates of revoked keys forget them and hands their rate-limit buckets to the new key's gate. */
  handOver(revokedHashes: string[], newHash: string): Promise<void>;
}

export interface Services {
  db: Db;
  hub: HubPort;
  gates: KeyGatesPort;
  config: Config;
  /** The MEDIA bucket: files keyed `<sessionId>/<mediaId>`. */
  media: R2Bucket;
}

