// The compile cache's directory (bin/compile-cache.js): private to the user, and refused when
// anyone else could have written to it, since the code cached there runs as the user.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { after, describe, it } from 'node:test';
// @ts-expect-error: a JavaScript module of the package's bin/, without type declarations
import { compileCacheDir, enableCompileCache } from '../bin/compile-cache.js';
import { tempDir } from './helpers/postern.js';

const own = `postern-compile-cache-${process.getuid?.() ?? 'user'}`;

describe('the compile cache directory', () => {
  const base = tempDir('postern-cc-');
  after(() => rmSync(base, { recursive: true, force: true }));

  it('is created for this user alone (mode 0700) and used again', () => {
    const dir = compileCacheDir(base);
    assert.equal(dir, path.join(base, own));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(compileCacheDir(base), dir);
  });

  it('is refused when others may write to it', () => {
    const shared = tempDir('postern-cc-shared-');
    try {
      mkdirSync(path.join(shared, own));
      chmodSync(path.join(shared, own), 0o777);
      assert.equal(compileCacheDir(shared), undefined);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('is refused when it is a symbolic link', () => {
    const linked = tempDir('postern-cc-link-');
    try {
      mkdirSync(path.join(linked, 'elsewhere'), { mode: 0o700 });
      symlinkSync(path.join(linked, 'elsewhere'), path.join(linked, own));
      assert.equal(compileCacheDir(linked), undefined);
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });

  it('is not used where Node has no compile cache, or when NODE_COMPILE_CACHE chose one', () => {
    const saved = process.env.NODE_COMPILE_CACHE;
    process.env.NODE_COMPILE_CACHE = path.join(base, 'chosen');
    try {
      assert.equal(enableCompileCache(), undefined);
    } finally {
      if (saved === undefined) delete process.env.NODE_COMPILE_CACHE;
      else process.env.NODE_COMPILE_CACHE = saved;
    }
    if (typeof (module as { enableCompileCache?: unknown }).enableCompileCache !== 'function') assert.equal(enableCompileCache(), undefined);
  });
});
