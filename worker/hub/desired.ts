// The desired state the hub sends a connector for one sessions row: Turso's record, in the wire's words.
import type { DesiredSession } from '../../shared/protocol.ts';

/** The sessions columns a desired state is made of. */
export type DesiredRow = {
  sessionId: string;
  state: 'running' | 'stopped';
  authEpoch: number;
  startEpoch: number;
  expectedPhone: string | null;
};

export function desiredOf(row: DesiredRow): DesiredSession {
  return {
    sessionId: row.sessionId,
    state: row.state,
    authEpoch: row.authEpoch,
    // Both optional on the wire: left out when they say nothing, which is what a connector assumes then.
    ...(row.startEpoch > 0 ? { startEpoch: row.startEpoch } : {}),
    ...(row.expectedPhone ? { phone: row.expectedPhone } : {}),
  };
}
