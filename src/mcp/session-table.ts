// The open 2025-era sessions of the MCP endpoint and their caps (config mcp.sessions): per client
// (one user's sessions through one client), per user (all of one user's sessions) and in all.
// Past the per-client or the per-user cap, the caller's own oldest session is closed. Past the
// total, the oldest session of the user holding the most sessions is closed, the caller first
// among equals: opening sessions never pushes out a user who holds fewer than the caller.

export interface SessionCaps {
  /** Sessions open at once, all users together. */
  max: number;
  /** One user's sessions, all clients together. */
  perUser: number;
  /** One user's sessions through one client. */
  perClient: number;
}

interface TableEntry {
  /** The user (subject) the session belongs to. */
  subject: string;
  /** The user and the client: sessions of one owner count against the per-client cap. */
  owner: string;
  /** Epoch milliseconds of its last request. */
  lastSeen: number;
}

export class SessionTable<S extends TableEntry> {
  private readonly byId = new Map<string, S>();
  /** subject → the ids of that user's sessions. */
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly caps: SessionCaps,
    /** Ends a session the caps pushed out (already removed from the table). */
    private readonly evicted: (id: string, session: S) => void,
  ) {}

  get(id: string): S | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  entries(): IterableIterator<[string, S]> {
    return this.byId.entries();
  }

  /** Adds a session, first closing the sessions the caps make room for. */
  add(id: string, session: S): void {
    this.makeRoom(session);
    this.byId.set(id, session);
    let mine = this.byUser.get(session.subject);
    if (!mine) this.byUser.set(session.subject, (mine = new Set()));
    mine.add(id);
  }

  delete(id: string): boolean {
    const session = this.byId.get(id);
    if (!session) return false;
    this.byId.delete(id);
    const mine = this.byUser.get(session.subject);
    mine?.delete(id);
    if (mine?.size === 0) this.byUser.delete(session.subject);
    return true;
  }

  private makeRoom(incoming: TableEntry): void {
    const mine = this.byUser.get(incoming.subject);
    if (mine) {
      const sameClient = (id: string) => this.byId.get(id)?.owner === incoming.owner;
      while (this.count(mine, sameClient) >= this.caps.perClient) this.evict(this.oldest(mine, sameClient));
      while (mine.size >= this.caps.perUser) this.evict(this.oldest(mine));
    }
    while (this.byId.size >= this.caps.max) this.evict(this.oldest(this.largestHolder(incoming.subject)));
  }

  private count(ids: Set<string>, which: (id: string) => boolean): number {
    let n = 0;
    for (const id of ids) if (which(id)) n++;
    return n;
  }

  /** The least recently used of these sessions. */
  private oldest(ids: Set<string>, which: (id: string) => boolean = () => true): string {
    let found: string | undefined;
    let seen = Infinity;
    for (const id of ids) {
      const lastSeen = this.byId.get(id)!.lastSeen;
      if (lastSeen < seen && which(id)) [found, seen] = [id, lastSeen];
    }
    return found!;
  }

  /** The sessions of the user holding the most; `caller`'s among equals, else the oldest user's. */
  private largestHolder(caller: string): Set<string> {
    let largest: Set<string> | undefined;
    let largestOldest = Infinity;
    for (const [subject, ids] of this.byUser) {
      if (largest && ids.size < largest.size) continue;
      const oldest = subject === caller ? -Infinity : this.byId.get(this.oldest(ids))!.lastSeen;
      if (!largest || ids.size > largest.size || oldest < largestOldest) [largest, largestOldest] = [ids, oldest];
    }
    return largest!;
  }

  private evict(id: string): void {
    const session = this.byId.get(id)!;
    this.delete(id);
    this.evicted(id, session);
  }
}
