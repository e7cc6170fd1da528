// What a device missed while offline, delivered in pages at login: an <ib><offline_preview/></ib> with the
// counts, then as many stanzas as the client asks for with <ib><offline_batch count="N"/></ib>, and
// <ib><offline count="total"/></ib> once nothing is left. Baileys (socket.js) answers every preview with
// one request for 100 and flushes its event buffer at `offline`. That WhatsApp previews again for the
// rest of a longer backlog (rather than sending it unasked) is assumed: Baileys asks only after a preview.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { SERVER_JID } from './directory.ts';

function ib(child: BinaryNode): BinaryNode {
  return { tag: 'ib', attrs: { from: SERVER_JID }, content: [child] };
}

function preview(nodes: readonly BinaryNode[]): BinaryNode {
  const count = (tag: string) => String(nodes.filter((node) => node.tag === tag).length);
  return ib({
    tag: 'offline_preview',
    attrs: { count: String(nodes.length), message: count('message'), receipt: count('receipt'), notification: count('notification'), call: count('call') },
  });
}

export type OfflinePagerOptions = {
  send: (node: BinaryNode) => void;
  /** Takes what is waiting for the device now (its offline queue), marked offline. */
  takeWaiting: () => BinaryNode[];
  /** The backlog is delivered: the device is live from now on. */
  onDone: (delivered: number) => void;
};

/** One connection's offline delivery, from login until the backlog is drained. */
export class OfflinePager {
  readonly #o: OfflinePagerOptions;
  #pending: BinaryNode[] = [];
  #delivered = 0;
  #done = false;

  constructor(options: OfflinePagerOptions) {
    this.#o = options;
  }

  get done(): boolean {
    return this.#done;
  }

  /** At login: previews the backlog, or ends at once if there is none. */
  start(): void {
    this.#next();
  }

  /** The client asked for up to `count` stanzas of the backlog. */
  onBatchRequest(count: number): void {
    if (this.#done || !(count > 0)) return;
    const batch = this.#pending.splice(0, count);
    for (const node of batch) this.#o.send(node);
    this.#delivered += batch.length;
    this.#next();
  }

  #next(): void {
    // What arrived while the backlog was being paged joins it, behind the older stanzas.
    this.#pending.push(...this.#o.takeWaiting());
    if (this.#pending.length > 0) {
      this.#o.send(preview(this.#pending));
      return;
    }
    this.#done = true;
    this.#o.onDone(this.#delivered);
    this.#o.send(ib({ tag: 'offline', attrs: { count: String(this.#delivered) } }));
  }
}
