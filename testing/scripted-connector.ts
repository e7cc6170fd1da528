// A connector played by a test: a real WebSocket client that speaks the hub protocol frame by frame, so
// hub behaviour (auth, desired state, command relay, acks) is tested before and apart from the real one.
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { connectorProof } from '../shared/connector-proof.ts';
import { HubFrame, PROTOCOL_VERSION, parseFrame, type ConnectorFrame, type SessionEvent } from '../shared/protocol.ts';
import type { SessionStatus } from '../shared/status.ts';

type FrameOf<T extends HubFrame['type']> = Extract<HubFrame, { type: T }>;

export interface ScriptedConnector {
  /** Resolves with the next frame of that type (frames received earlier and not yet taken count too). */
  next<T extends HubFrame['type']>(type: T, match?: (frame: FrameOf<T>) => boolean): Promise<FrameOf<T>>;
  send(frame: ConnectorFrame | string): void;
  /** Sends `event` of `sessionId` under a fresh id, as a connector reports one; resolves with the id once the hub acked it. */
  emit(sessionId: string, event: SessionEvent): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
  /**
   * Renews the lease every leaseMs / 4 once welcomed with one, as a connector does; the hub's answers are
   * not kept, only handed to a `next('renewed')` already waiting.
   */
  renewing(leaseMs: number): void;
  /** Goes silent without closing, as a frozen machine or a cut cable: sends nothing more, renews nothing. */
  freeze(): void;
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
  /** The connector process the hello names (a fresh one unless given: a reconnect of the same process passes its own). */
  instance?: string;
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
    else if (frame.type !== 'renewed') buffered.push(frame);
  });
  let renewals: NodeJS.Timeout | undefined;
  let frozen = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      clearInterval(renewals);
      resolve({ code, reason: reason.toString() });
    }),
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
      if (frozen || socket.readyState !== WebSocket.OPEN) return;
      socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    async emit(sessionId, event) {
      const id = `evt-${randomUUID()}`;
      script.send({ type: 'event', id, sessionId, at: Date.now(), event });
      await script.next('ack', (a) => a.ids.includes(id));
      return id;
    },
    closed,
    async close() {
      clearInterval(renewals);
      if (frozen) socket.terminate();
      else if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      await closed;
    },
    renewing(leaseMs) {
      let id = 0;
      clearInterval(renewals);
      renewals = setInterval(() => script.send({ type: 'renew', id: id++ }), Math.max(100, Math.floor(leaseMs / 4)));
      renewals.unref();
    },
    freeze() {
      frozen = true;
      clearInterval(renewals);
      // Nor does it answer the hub's close frame: its end of the socket is gone for all the hub can tell.
      socket.pause();
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
    instance: options.instance ?? randomBytes(8).toString('hex'),
  };
  script.send(options.tamper ? options.tamper(hello) : hello);
  const welcome = await Promise.race([script.next('welcome'), script.closed.then(() => null)]);
  if (welcome?.leaseMs) script.renewing(welcome.leaseMs);
  return { script, challenge, welcome, instance: hello.instance };
}
