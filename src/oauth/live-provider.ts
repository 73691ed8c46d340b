// The authorization server instance behind the dispatcher, replaced when the signing keys change.
// oidc-provider takes its keys once, when it is built, and offers no way to change them later, so
// after `postern keys rotate` a new instance is built from the new key set and answers the next
// request; a request already in flight finishes on the instance that took it. What an instance
// keeps is kept elsewhere — the store, the cookie keys, the configuration — so nothing is lost in
// the change; event listeners and anything made from an instance (the interaction pages) follow
// the new one.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { SigningKeys } from './keys.js';

type Listener = (...args: any[]) => void;

/** oidc-provider's typings list its own events only; the instance is a plain event emitter. */
const listen = (provider: Provider, event: string, listener: Listener) => (provider as unknown as EventEmitter).on(event, listener);

export class LiveProvider {
  private instance: Provider;
  private handle: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly listeners: Array<[string, Listener]> = [];

  constructor(
    private readonly build: (keys: SigningKeys) => Provider,
    keys: SigningKeys,
  ) {
    this.instance = build(keys);
    this.handle = this.instance.callback();
  }

  /** The instance answering requests now. */
  get current(): Provider {
    return this.instance;
  }

  /** Listens to an event of the current instance and of every later one. */
  readonly on = ((event: string, listener: Listener) => {
    this.listeners.push([event, listener]);
    listen(this.instance, event, listener);
    return this;
  }) as unknown as Provider['on'];

  /** The node request handler, always the current instance's. */
  callback(): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => this.handle(req, res);
  }

  /** A value made from the current instance, made again once for each new instance. */
  perInstance<T>(make: (provider: Provider) => T): () => T {
    let made: { from: Provider; value: T } | undefined;
    return () => {
      if (made?.from !== this.instance) made = { from: this.instance, value: make(this.instance) };
      return made.value;
    };
  }

  /** Builds an instance with these keys; it answers every request from now on. */
  useKeys(keys: SigningKeys): void {
    const next = this.build(keys);
    for (const [event, listener] of this.listeners) listen(next, event, listener);
    this.handle = next.callback();
    this.instance = next;
  }
}
