// A bounded map from token to its verified result, oldest entries evicted first.
export class TokenCache<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(token: string): V | undefined {
    return this.map.get(token);
  }

  set(token: string, value: V): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    this.map.set(token, value);
  }

  evictWhere(predicate: (value: V) => boolean): void {
    for (const [k, v] of this.map) if (predicate(v)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
