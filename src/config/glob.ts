// The glob patterns configuration values are written in (policy tools, client matches, metadata
// document hosts): `*` matches any run of characters; everything else is literal.

/** Glob with `*` (any run of characters); everything else literal. */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}
