// The PostgreSQL store's change signal and grant revocations: NOTIFY on one channel per schema,
// LISTEN on a connection of its own, so that every replica on the store hears every other at
// once. A message is "<sender>:<topic>" or "<sender>:grant:<grant id>"; the sender hears its own
// at once and skips its echo. When the listening connection is lost it is opened again with
// backoff, and since messages sent meanwhile are gone, every topic is then announced locally,
// "grants" included (the token guard drops every cached verification).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ChangeListeners, type ChangeTopic } from '../changes.js';
import { GrantEvents, type RevokedGrant } from '../grant-events.js';
import type { ChangeSignal } from '../types.js';
import type { PostgresDatabase } from './database.js';

const TOPICS: ChangeTopic[] = ['static_tokens', 'signing_keys', 'grants'];
const RETRY_MS = [250, 500, 1000, 2000, 5000];

export class PostgresChanges implements ChangeSignal {
  readonly grants = new GrantEvents();
  private readonly listeners = new ChangeListeners();
  private readonly sender = randomUUID();
  private readonly channel: string;
  private client?: pg.Client;
  private closed = false;
  private failures = 0;
  private retry?: NodeJS.Timeout;

  constructor(private readonly db: PostgresDatabase) {
    this.channel = `postern:${db.schema}`;
  }

  /** Opens the listening connection; resolves once LISTEN is in place. */
  async start(): Promise<void> {
    const client = this.db.newClient();
    client.on('notification', (msg) => this.heard(msg.payload ?? ''));
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replaceAll('"', '""')}"`);
      if (this.closed) throw new Error('the store is closed');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.failures = 0;
  }

  async announceChange(topic: ChangeTopic): Promise<void> {
    await this.notify(topic);
    this.listeners.emit(topic);
  }

  onChange(topic: ChangeTopic, listener: () => void): () => void {
    return this.listeners.on(topic, listener);
  }

  /** Tells this process's grant listeners now and every other process through the channel. */
  async grantRevoked(grantId: string, grant?: RevokedGrant): Promise<void> {
    this.grants.emit(grantId, grant);
    await this.notify(`grant:${grantId}`);
  }

  /** Whether the listening connection is up (readiness). */
  get listening(): boolean {
    return !!this.client;
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async notify(message: string): Promise<void> {
    await this.db.query('SELECT pg_notify($1, $2)', [this.channel, `${this.sender}:${message}`]);
  }

  private heard(payload: string): void {
    const colon = payload.indexOf(':');
    if (colon < 0 || payload.slice(0, colon) === this.sender) return;
    const message = payload.slice(colon + 1);
    if (message.startsWith('grant:')) this.grants.emit(message.slice('grant:'.length));
    else if ((TOPICS as string[]).includes(message)) this.listeners.emit(message as ChangeTopic);
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.reconnect();
  }

  private reconnect(): void {
    if (this.closed) return;
    const delay = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)];
    this.retry = setTimeout(() => {
      this.start().then(
        () => {
          for (const topic of TOPICS) this.listeners.emit(topic);
        },
        () => this.reconnect(),
      );
    }, delay);
    this.retry.unref();
  }
}
