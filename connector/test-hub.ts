// A stand-in for the hub's side of the protocol on a loopback port, for connector tests until the real
// Worker hub can be used in-process: challenge, proof check (4001), welcome, pong, lease renewals, acks on request.
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyConnectorProof } from '../shared/connector-proof.ts';
import {
  CloseCode,
  ConnectorFrame,
  PING_FRAME,
  PONG_FRAME,
  EventFrame as EventItem,
  PROTOCOL_VERSION,
  ResultFrame as ResultItem,
  parseFrame,
  type DesiredSession,
  type HubFrame,
} from '../shared/protocol.ts';

type EventFrame = Extract<ConnectorFrame, { type: 'event' }>;
type ResultFrame = Extract<ConnectorFrame, { type: 'result' }>;
type SeenFrame = Extract<ConnectorFrame, { type: 'seen' }>;
type HelloFrame = Extract<ConnectorFrame, { type: 'hello' }>;

export type TestHubOptions = {
  secret: string;
  heartbeatMs?: number;
  /** The lease the welcome announces (the connector fences itself within it). */
  leaseMs?: number;
  sessions?: DesiredSession[];
  /** Held sessions the welcome names as deleted (the hub's tombstones). */
  removed?: string[];
  /** Ack every event as soon as it arrives. */
  autoAck?: boolean;
  /** Answers plain HTTP requests on the hub's origin, as the Worker answers its media links there. */
  http?: RequestListener;
  /** The protocol version this hub speaks (its challenge states it; a hello of another is refused with 4002). */
  protocol?: number;
};

export type TestHub = {
  url: string;
  /** Frames and socket changes, for tests to wait on with once(). */
  events: EventEmitter<{ dialled: [string]; hello: [HelloFrame]; welcomed: [WebSocket]; event: [EventFrame]; result: [ResultFrame]; results: [number]; eventBatch: [number]; frame: [ConnectorFrame['type']]; seen: [SeenFrame]; ping: []; renew: [number]; closed: [number] }>;
  /** Every event frame received, in order, including resends. */
  received: EventFrame[];
  setSessions(sessions: DesiredSession[]): void;
  /** Deleted session ids; the welcome lists those the hello says are held, as the real hub does. */
  setRemoved(removed: string[]): void;
  setAutoAck(on: boolean): void;
  /** Stops answering pings (to exercise the connector's dead-link detection). */
  setPongs(on: boolean): void;
  /** Stops answering lease renewals, as a hub that cannot write the directory (the connector fences itself). */
  setRenewals(on: boolean): void;
  send(frame: HubFrame): void;
  /** Cuts the current connector socket without a close handshake. */
  drop(): void;
  close(): Promise<void>;
};

export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const server = createServer(options.http);
  const wss = new WebSocketServer({ server, path: '/hub/connect' });
  const events: TestHub['events'] = new EventEmitter();
  const received: EventFrame[] = [];
  let sessions = options.sessions ?? [];
  let removed = options.removed ?? [];
  let autoAck = options.autoAck ?? false;
  let pongs = true;
  let renewals = true;
  let current: WebSocket | null = null;

  const protocol = options.protocol ?? PROTOCOL_VERSION;
  wss.on('connection', (ws, request) => {
    const nonce = randomBytes(32).toString('base64url');
    let welcomed = false;
    events.emit('dialled', request.url ?? '');
    ws.send(JSON.stringify({ type: 'challenge', protocol, nonce }));
    ws.on('close', (code) => events.emit('closed', code));
    ws.on('message', async (data) => {
      const raw = data.toString();
      if (raw === PING_FRAME) {
        events.emit('ping');
        if (pongs) ws.send(PONG_FRAME);
        return;
      }
      const frame = parseFrame(ConnectorFrame, raw);
      if (frame && frame.type !== 'hello') events.emit('frame', frame.type);
      if (!welcomed) {
        if (frame?.type !== 'hello' || frame.nonce !== nonce) return ws.close(CloseCode.unauthorised, 'bad hello');
        events.emit('hello', frame);
        if (frame.protocol !== protocol) return ws.close(CloseCode.unsupportedVersion, `this hub speaks protocol ${protocol}`);
        const ok = await verifyConnectorProof(options.secret, frame.connectorId, nonce, frame.timestamp, frame.proof, Date.now());
        if (!ok) return ws.close(CloseCode.unauthorised, 'bad proof');
        welcomed = true;
        if (current && current !== ws) current.close(CloseCode.replaced, 'replaced');
        current = ws;
        const held = new Set(frame.held);
        const welcome: HubFrame = {
          type: 'welcome',
          connectorId: frame.connectorId,
          heartbeatMs: options.heartbeatMs ?? 30_000,
          sessions,
          removed: removed.filter((id) => held.has(id)),
          ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
        };
        ws.send(JSON.stringify(welcome));
        events.emit('welcomed', ws);
        return;
      }
      if (frame?.type === 'event' || frame?.type === 'events') {
        // As the hub does: the items of an `events` frame each on their own.
        if (frame.type === 'events') events.emit('eventBatch', frame.events.length);
        const items = frame.type === 'event' ? [frame] : frame.events.flatMap((item) => {
          const parsed = EventItem.safeParse(item);
          return parsed.success ? [parsed.data] : [];
        });
        for (const event of items) {
          received.push(event);
          if (autoAck) ws.send(JSON.stringify({ type: 'ack', ids: [event.id] }));
          events.emit('event', event);
        }
      } else if (frame?.type === 'result') {
        events.emit('result', frame);
      } else if (frame?.type === 'results') {
        // As the hub does: each item on its own, the results first, then the events that came along.
        events.emit('results', frame.results.length);
        for (const item of frame.results) {
          const parsed = ResultItem.safeParse(item);
          if (parsed.success) events.emit('result', parsed.data);
        }
        if (frame.events) {
          events.emit('eventBatch', frame.events.length);
          for (const item of frame.events) {
            const parsed = EventItem.safeParse(item);
            if (!parsed.success) continue;
            received.push(parsed.data);
            if (autoAck) ws.send(JSON.stringify({ type: 'ack', ids: [parsed.data.id] }));
            events.emit('event', parsed.data);
          }
        }
      } else if (frame?.type === 'seen') {
        events.emit('seen', frame);
      } else if (frame?.type === 'renew') {
        events.emit('renew', frame.id);
        if (renewals) ws.send(JSON.stringify({ type: 'renewed', id: frame.id } satisfies HubFrame));
      }
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}`,
    events,
    received,
    setSessions: (next) => {
      sessions = next;
    },
    setRemoved: (next) => {
      removed = next;
    },
    setAutoAck: (on) => {
      autoAck = on;
    },
    setPongs: (on) => {
      pongs = on;
    },
    setRenewals: (on) => {
      renewals = on;
    },
    send: (frame) => current?.send(JSON.stringify(frame)),
    drop: () => current?.terminate(),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
