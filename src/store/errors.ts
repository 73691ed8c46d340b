// The store's one error of its own: the store cannot be opened (the CLI prints it without a stack).

/** The store cannot be opened: names where it was looked for (without the password) and why. */
export class StoreError extends Error {
  override name = 'StoreError';
}
