// The handover of a moved session's rows on a shared store (a real libSQL file): the media jobs it still
// has to fetch come along, without losing any this connector stored for it from an earlier time here.
import { describe, expect, it } from 'vitest';
import type { Client } from '../db.ts';
import { createLoginHandover } from './login-handover.ts';
import { useConnectorStore } from '../test-store.ts';

let db: Client;
useConnectorStore('kabar-handover-', (store) => ({ db } = store), 'shared.db');

const creds = (connectorId: string, sessionId: string) =>
  db.execute({ sql: "INSERT INTO auth_state (connector_id, session_id, kind, id, value) VALUES (?, ?, 'creds', '', x'00')", args: [connectorId, sessionId] });
const job = (connectorId: string, sessionId: string, messageId: string, attempts: number) =>
  db.execute({ sql: 'INSERT INTO media_job (connector_id, session_id, message_id, attempts, next_at, value) VALUES (?, ?, ?, ?, 0, ?)', args: [connectorId, sessionId, messageId, attempts, new Uint8Array([attempts])] });
const jobs = async () =>
  (await db.execute('SELECT connector_id, session_id, message_id, attempts FROM media_job ORDER BY session_id, message_id')).rows.map((r) => [
    String(r.connector_id),
    String(r.session_id),
    String(r.message_id),
    Number(r.attempts),
  ]);

describe('login handover', () => {
  it("takes the moved session's media jobs along, keeps its own of that session, keeps one of a message both hold, and leaves other sessions alone", async () => {
    await creds('edge-a', 'moved');
    await job('edge-a', 'moved', 'M1', 2);
    await job('edge-a', 'moved', 'M2', 1);
    // From when edge-b held the session before: a message of its own, and one both stored.
    await job('edge-b', 'moved', 'M2', 3);
    await job('edge-b', 'moved', 'M3', 4);
    await job('edge-a', 'other', 'M9', 1);

    expect(await createLoginHandover(db, 'edge-b').adopt('moved')).toBe('edge-a');
    expect(await jobs()).toEqual([
      ['edge-b', 'moved', 'M1', 2],
      ['edge-b', 'moved', 'M2', 3],
      ['edge-b', 'moved', 'M3', 4],
      ['edge-a', 'other', 'M9', 1],
    ]);
  });
});
