// CallAbort (src/backends/call-abort.ts): a call's abort with plain listeners and an AbortSignal
// made only when asked for, which must behave as an AbortController's would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallAbort, listenAbort } from '../src/backends/call-abort.js';

describe('CallAbort', () => {
  it('tells its listeners once, with the reason, and not after they stopped listening', () => {
    const abort = new CallAbort();
    const heard: unknown[] = [];
    abort.onAbort((reason) => heard.push(['first', reason]));
    const stop = abort.onAbort((reason) => heard.push(['second', reason]));
    stop();
    abort.abort('changed my mind');
    abort.abort('again');
    assert.deepEqual(heard, [['first', 'changed my mind']]);
    assert.equal(abort.aborted, true);
    assert.equal(abort.reason, 'changed my mind');
  });

  it('aborts a signal made before the abort, and makes one already aborted after it', () => {
    const before = new CallAbort();
    const signal = before.signal;
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    before.abort('gone');
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason, 'gone');
    assert.equal(fired, 1);
    assert.equal(before.signal, signal, 'one signal per abort');

    const after = new CallAbort();
    after.abort('late');
    assert.equal(after.signal.aborted, true);
    assert.equal(after.signal.reason, 'late');
  });

  it('aborts without a reason as AbortController does', () => {
    const abort = new CallAbort();
    abort.abort();
    const controller = new AbortController();
    controller.abort();
    assert.equal((abort.reason as DOMException).name, (controller.signal.reason as DOMException).name);
    assert.equal(abort.signal.reason, abort.reason);
  });

  it('listens to a CallAbort or an AbortSignal alike, at once when it is aborted already', () => {
    for (const make of [() => new CallAbort(), () => new AbortController()]) {
      const heard: unknown[] = [];
      const live = make();
      const stop = listenAbort(live instanceof CallAbort ? live : live.signal, (reason) => heard.push(reason));
      live.abort('one');
      stop();
      const stopped = make();
      listenAbort(stopped instanceof CallAbort ? stopped : stopped.signal, (reason) => heard.push(reason))();
      stopped.abort('never heard');
      const done = make();
      done.abort('two');
      listenAbort(done instanceof CallAbort ? done : done.signal, (reason) => heard.push(reason));
      assert.deepEqual(heard, ['one', 'two']);
    }
    assert.doesNotThrow(() => listenAbort(undefined, () => assert.fail('nothing to hear'))());
  });
});
