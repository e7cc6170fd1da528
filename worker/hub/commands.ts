// Commands relayed from the Worker to a connector: each waits for its one result frame, its deadline, or
// the loss of the socket it was sent over, whichever comes first.
import type { Command, CommandData, CommandErrorCode, ConnectorFrame, HubFrame } from '../../shared/protocol.ts';

export type CommandOutcome =
  | { ok: true; data: CommandData }
  | { ok: false; code: CommandErrorCode | 'CONNECTOR_OFFLINE' | 'CONNECTOR_TIMEOUT'; message: string };

interface Pending {
  socket: WebSocket;
  resolve: (outcome: CommandOutcome) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Commands {
  private readonly pending = new Map<string, Pending>();

  /** Sends a command over a connector's socket (none: the connector is away) and waits for its outcome. */
  relay(ws: WebSocket | undefined, command: Command, timeoutMs: number): Promise<CommandOutcome> {
    if (!ws) return Promise.resolve({ ok: false, code: 'CONNECTOR_OFFLINE', message: 'No connector holding this session is attached' });
    const id = crypto.randomUUID();
    const deadline = Date.now() + timeoutMs;
    return new Promise<CommandOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, code: 'CONNECTOR_TIMEOUT', message: `The connector did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { socket: ws, resolve, timer });
      try {
        ws.send(JSON.stringify({ type: 'command', id, deadline, command } satisfies HubFrame));
      } catch {
        this.pending.delete(id);
        clearTimeout(timer);
        resolve({ ok: false, code: 'CONNECTOR_OFFLINE', message: 'The connector link is closing' });
      }
    });
  }

  /** A result frame: settles its command if it came over the socket the command went out on. */
  settle(ws: WebSocket, frame: Extract<ConnectorFrame, { type: 'result' }>): void {
    const pending = this.pending.get(frame.id);
    if (!pending || pending.socket !== ws) return; // late: the caller already had its 504
    this.pending.delete(frame.id);
    clearTimeout(pending.timer);
    pending.resolve(frame.ok ? { ok: true, data: frame.data } : { ok: false, ...frame.error });
  }

  /** Commands sent over a socket that is gone will never be answered: fail them now, not at their deadline. */
  abandon(ws: WebSocket): void {
    for (const [id, pending] of this.pending) {
      if (pending.socket !== ws) continue;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve({ ok: false, code: 'CONNECTOR_OFFLINE', message: 'The connector disconnected before answering' });
    }
  }
}
