// Node's on-disk compile cache (module.enableCompileCache, Node 22.1+): the next start of the
// `postern` command reuses V8's compiled code of the bundle instead of compiling it again.
// The cache directory is the user's own: <tmpdir>/postern-compile-cache-<uid>, created with mode
// 0700, and used only when it is a real directory owned by this user that no one else can write
// (code read from it runs as this user). Without a compile cache (Node 20), with a read-only or
// foreign directory, or when NODE_COMPILE_CACHE (Node's own variable) is set, nothing changes;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The private cache directory, or undefined when it cannot be had safely. */
export function compileCacheDir(base = tmpdir()) {
  const uid = process.getuid?.();
  const dir = path.join(base, `postern-compile-cache-${uid ?? 'user'}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (err?.code !== 'EEXIST') return undefined;
  }
  try {
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

/** Turns the compile cache on where Node has one; returns its directory, or undefined. */
export function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function' || process.env.NODE_COMPILE_CACHE) return undefined;
  const dir = compileCacheDir();
  if (!dir) return undefined;
  try {
    const result = module.enableCompileCache(dir);
    return result?.directory;
  } catch {
    return undefined;
  }
}
