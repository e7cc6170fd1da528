// The desired state the hub sends a connector for one sessions row: Turso's record, in the wire's words.
import { PacingPolicy } from '../../shared/pacing.ts';
import type { DesiredSession } from '../../shared/protocol.ts';

/** The sessions columns a desired state is made of. */
export type DesiredRow = {
  sessionId: string;
  state: 'running' | 'stopped';
  authEpoch: number;
  startEpoch: number;
  expectedPhone: string | null;
  /** The sessions.pacing JSON; absent or null: the connector's default. */
  pacing?: string | null;
};

export function desiredOf(row: DesiredRow): DesiredSession {
  return {
    sessionId: row.sessionId,
    state: row.state,
    authEpoch: row.authEpoch,
    // Both optional on the wire: left out when they say nothing, which is what a connector assumes then.
    ...(row.startEpoch > 0 ? { startEpoch: row.startEpoch } : {}),
    ...(row.expectedPhone ? { phone: row.expectedPhone } : {}),
    ...pacingOf(row.pacing),
  };
}

/** A stored policy that no longer parses (a later, stricter schema) is left out: the connector's default applies. */
function pacingOf(json: string | null | undefined): { pacing?: PacingPolicy } {
  if (!json) return {};
  try {
    const parsed = PacingPolicy.safeParse(JSON.parse(json));
    return parsed.success ? { pacing: parsed.data } : {};
  } catch {
    return {};
  }
}
