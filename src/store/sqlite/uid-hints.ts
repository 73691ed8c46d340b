// The id this process last wrote each uid under (oidc-provider looks sessions and interactions up
// by uid): a hint for the SQLite area to read the record by its primary key. Only a hint — the
// record is always read from the database and must still carry the uid — so it is bounded and
// forgets the oldest entries first.
const MAX_HINTS = 10_000;

export class UidHints {
  private readonly ids = new Map<string, string>();

  set(model: string, uid: string, id: string): void {
    const key = `${model}\0${uid}`;
    this.ids.delete(key);
    this.ids.set(key, id);
    if (this.ids.size > MAX_HINTS) this.ids.delete(this.ids.keys().next().value!);
  }

  get(model: string, uid: string): string | undefined {
    return this.ids.get(`${model}\0${uid}`);
  }
}
