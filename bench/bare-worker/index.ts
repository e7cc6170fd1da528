// The edge reference: a bare Hono handler answering the same path with a same-sized body, no auth, no
// Durable Object, no database. It runs in the same workerd as the gateway (bench/stack.ts).
import { Hono } from 'hono';

const app = new Hono();
app.get('/api/session/status', (c) => c.json({ success: true, connected: true, status: 'WORKING', user: { id: '6281100000000' } }));

export default app;
