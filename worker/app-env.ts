// The Hono environment type every route and middleware shares: bindings plus what middleware sets.
import type { Surface } from './errors.ts';
import type { Env } from './env.ts';
import type { HubRouter } from './hub/hub-router.ts';
import type { Services } from './services/ports.ts';

export interface AppEnv {
  Bindings: Env;
  Variables: {
    services: Services;
    /** The hubs, for what services do not do: opening live streams on the right hub. */
    hubs: HubRouter;
    surface: Surface;
    /** Set by API-key auth: the one session this request may act on. */
    sessionId: string;
    /** Set by admin auth: true when open creation let the request through without the admin token. */
    anonymous: boolean;
    /** Set by API-key auth: the hash of the key that was presented, to tie what it opens to it. */
    keyHash: string;
    /** Set by API-key auth: the session's connector as the key gate last read it (a hint for the hub router). */
    connectorId: string | null;
    /** Set on routes either credential may call: which one this request was authenticated with. */
    credential: 'admin' | 'apiKey';
  };
}
