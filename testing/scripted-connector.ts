// A connector played by a test: a real WebSocket client that speaks the hub protocol frame by frame, so
// hub behaviour (auth, desired state, command relay, acks) is tested before and apart from the real one.
import WebSocket from 'ws';
import { connectorProof } from '../shared/connector-proof.ts';
import { HubFrame, PROTOCOL_VERSION, parseFrame, type ConnectorFrame } from '../shared/protocol.ts';
import type { SessionStatus } from '../shared/status.ts';

type FrameOf<T extends HubFrame['type']> = Extract<HubFrame, { type: T }>;

export interface ScriptedConnector {
  /** Resolves with the next frame of that type (frames received earlier and not yet taken count too). */
  next<T extends HubFrame['type']>(type: T, match?: (frame: FrameOf<T>) => boolean): Promise<FrameOf<T>>;
  send(frame: ConnectorFrame | string): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export interface ScriptOptions {
  connectorId?: string;
  secret: string;
  held?: string[];
  live?: { sessionId: string; status: SessionStatus }[];
  /** Tamper with the hello before it is sent (bad proof, old nonce, other version…). */
  tamper?: (hello: Extract<ConnectorFrame, { type: 'hello' }>) => ConnectorFrame;
  /** Stop after the challenge, sending no hello. */
  silent?: boolean;
  /** The connector id in the dialled URL when it is not `connectorId`; null dials the bare path of protocol 1. */
  dial?: string | null;
}

/** Dials the hub of `connectorId` as a connector of protocol 2 does; without one, the bare path of protocol 1. */
export async function openScriptedSocket(hubUrl: string, connectorId?: string): Promise<{ socket: WebSocket; script: ScriptedConnector }> {
  const socket = new WebSocket(connectorId === undefined ? `${hubUrl}/hub/connect` : `${hubUrl}/hub/connect?connector=${encodeURIComponent(connectorId)}`);
  const buffered: HubFrame[] = [];
  const waiters: { type: string; match: (f: HubFrame) => boolean; resolve: (f: HubFrame) => void }[] = [];
  socket.on('message', (data) => {
    const frame = parseFrame(HubFrame, data.toString());
    if (!frame) throw new Error(`hub sent an invalid frame: ${data.toString()}`);
    const waiter = waiters.findIndex((w) => w.type === frame.type && w.match(frame));
    if (waiter >= 0) waiters.splice(waiter, 1)[0]!.resolve(frame);
    else buffered.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const script: ScriptedConnector = {
    next(type, match = () => true) {
      const i = buffered.findIndex((f) => f.type === type && match(f as never));
      if (i >= 0) return Promise.resolve(buffered.splice(i, 1)[0] as never);
      return new Promise((resolve) => waiters.push({ type, match: match as never, resolve: resolve as never }));
    },
    send(frame) {
      socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    closed,
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      await closed;
    },
  };
  return { socket, script };
}

/** Connects and authenticates; resolves once the hub's answer (welcome or close) is known. */
export async function connectScripted(hubUrl: string, options: ScriptOptions) {
  const connectorId = options.connectorId ?? 'test-connector';
  const { script } = await openScriptedSocket(hubUrl, options.dial === null ? undefined : (options.dial ?? connectorId));
  const challenge = await script.next('challenge');
  if (options.silent) return { script, challenge, welcome: null };
  const timestamp = Date.now();
  const hello = {
    type: 'hello' as const,
    protocol: PROTOCOL_VERSION,
    connectorId,
    nonce: challenge.nonce,
    timestamp,
    proof: await connectorProof(options.secret, connectorId, challenge.nonce, timestamp),
    held: options.held ?? [],
    live: options.live ?? [],
  };
  script.send(options.tamper ? options.tamper(hello) : hello);
  const welcome = await Promise.race([script.next('welcome'), script.closed.then(() => null)]);
  return { script, challenge, welcome };
}
