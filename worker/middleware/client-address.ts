// The caller's address as Cloudflare's edge states it (`CF-Connecting-IP`, which the edge sets itself, so a
// client cannot forge it there); failed authentication and anonymous creation are counted per address.
// Locally (wrangler dev, the tests) Miniflare sets it from the socket only when the client sent none.
import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { Client } from '../key-gate/key-gate.ts';

export function clientAddress(c: Context<AppEnv>): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}

export function clientOf(c: Context<AppEnv>): Client {
  return { address: clientAddress(c), failuresPerMinute: c.var.services.config.AUTH_FAILURES_PER_MIN };
}
