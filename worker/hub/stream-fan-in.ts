// An all-sessions admin stream when sessions live on many hubs: the Worker opens one all-sessions stream
// on each hub and relays them to the client as one, with one merged `stream.ready` first. The client's pings
// go on to every hub (each hub closes a silent stream) and are answered once, here.
import { PING_FRAME, PONG_FRAME } from '../../shared/protocol.ts';
import type { Hub } from './hub.ts';
import { READY_SESSIONS_MAX, STREAM_TICKET_HEADER } from './watchers.ts';

type ReadySession = { sessionId: string; updatedAt: number };

const textOf = (data: unknown) => (typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer));

export async function fanIn(url: string, tickets: { hub: DurableObjectStub<Hub>; ticket: string }[]): Promise<Response> {
  const { 0: client, 1: server } = new WebSocketPair();
  const upstreams: WebSocket[] = [];
  const ready = new Map<string, ReadySession>();
  let waiting = tickets.length;
  // Events a hub sends before every hub's stream.ready arrived wait, so the client sees ready first.
  const early: string[] = [];
  let closed = false;
  const closeAll = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    for (const ws of [...upstreams, server]) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
  };
  const onReady = (text: string) => {
    // A session a hub gave away may still be listed by it for a moment: the newest word wins.
    for (const s of (JSON.parse(text) as { data?: { sessions?: ReadySession[] } }).data?.sessions ?? []) {
      const known = ready.get(s.sessionId);
      if (!known || known.updatedAt < s.updatedAt) ready.set(s.sessionId, s);
    }
    if (--waiting > 0) return;
    const sessions = [...ready.values()].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, READY_SESSIONS_MAX);
    server.send(JSON.stringify({ event: 'stream.ready', timestamp: Date.now(), data: { sessions } }));
    for (const held of early.splice(0)) server.send(held);
  };
  server.accept();
  for (const { hub, ticket } of tickets) {
    const answer = await hub.fetch(new Request(url, { headers: { upgrade: 'websocket', [STREAM_TICKET_HEADER]: ticket } }));
    const ws = answer.webSocket;
    if (!ws) {
      closeAll(1011, 'a hub refused the stream');
      return answer;
    }
    upstreams.push(ws);
    let first = true;
    // Listeners before accept(): a hub's stream.ready is its first frame and must not be missed.
    ws.addEventListener('message', (event) => {
      const text = textOf(event.data);
      if (text === PONG_FRAME) return;
      if (first) {
        first = false;
        onReady(text);
      } else if (waiting > 0) early.push(text);
      else server.send(text);
    });
    ws.addEventListener('close', (event) => closeAll(event.code === 1005 || event.code === 1006 ? 1011 : event.code, event.reason));
    ws.accept();
  }
  server.addEventListener('message', (event) => {
    const text = textOf(event.data);
    for (const ws of upstreams) ws.send(text);
    if (text === PING_FRAME || text.includes('"ping"')) server.send(PONG_FRAME);
  });
  server.addEventListener('close', () => closeAll(1000, 'client closed'));
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * A stream on one hub, relayed by the Worker rather than handed through. A hub's socket is hibernatable, and
 * when the hub closes it first (a deleted session, a revoked key, a moved session, an idle stream) workerd
 * keeps the connection half-open after the client's close reply until the hub's Durable Object goes idle,
 * which a hub whose connector renews its lease every lease / 4 never does: the client never sees its close.
 * Here the client's socket is the Worker's own, closed and released as soon as the client answers.
 */
export async function relay(url: string, hub: DurableObjectStub<Hub>, ticket: string): Promise<Response> {
  const answer = await hub.fetch(new Request(url, { headers: { upgrade: 'websocket', [STREAM_TICKET_HEADER]: ticket } }));
  const upstream = answer.webSocket;
  if (!upstream) return answer;
  const { 0: client, 1: server } = new WebSocketPair();
  let closed = false;
  const closeBoth = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    for (const ws of [upstream, server]) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
  };
  const pass = (to: WebSocket, data: string | ArrayBuffer) => {
    try {
      to.send(data);
    } catch {
      // closing; its close event ends both
    }
  };
  // Listeners before accept(): the hub's stream.ready is its first frame and must not be missed.
  upstream.addEventListener('message', (event) => pass(server, event.data));
  upstream.addEventListener('close', (event) => closeBoth(event.code === 1005 || event.code === 1006 ? 1011 : event.code, event.reason));
  upstream.addEventListener('error', () => closeBoth(1011, 'the hub stream failed'));
  upstream.accept();
  server.addEventListener('message', (event) => pass(upstream, event.data));
  server.addEventListener('close', (event) => closeBoth(event.code === 1005 || event.code === 1006 ? 1000 : event.code, 'client closed'));
  server.addEventListener('error', () => closeBoth(1000, 'client gone'));
  server.accept();
  return new Response(null, { status: 101, webSocket: client });
}
