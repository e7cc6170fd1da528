// The rows of the sessions a hub's event groups named lately, as Turso had them: what decides which events
// are stored (who holds the session, who held it) and which make webhook jobs. A group whose sessions are all
// here skips the lookup, and its batch opens by checking them against Turso in the same transaction
// (event-statements.ts `unchangedSessions`): one libSQL request per group instead of two, and a row changed
// since (a move, a deletion, new webhook settings) fails the batch before it writes, to be looked up afresh.

/** The columns of a session that an event group depends on, as stored. */
export interface SessionRow {
  id: string;
  connectorId: string | null;
  formerConnectors: string;
  webhookUrl: string | null;
  webhookEvents: string | null;
}

/** More sessions than a connector holds; past it the hub starts again from Turso rather than track age. */
const KEPT = 10_000;

export class KnownSessions {
  private readonly rows = new Map<string, SessionRow>();

  /** The rows of all these sessions, or undefined if any is not known. */
  rowsOf(ids: readonly string[]): SessionRow[] | undefined {
    const found: SessionRow[] = [];
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row) return undefined;
      found.push(row);
    }
    return found;
  }

  remember(rows: readonly SessionRow[]): void {
    if (this.rows.size + rows.length > KEPT) this.rows.clear();
    for (const row of rows) this.rows.set(row.id, row);
  }

  forget(): void {
    this.rows.clear();
  }
}
