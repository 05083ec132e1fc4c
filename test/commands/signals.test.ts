/**
 * A stop signal that arrives while the process is busy with synchronous work
 * (the final checkpoint being written) still reaches the trap: it is not
 * dropped when the trap is removed right after that work.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { trapSignals } from '../../src/commands/signals';

describe('signal trap', () => {
  it('a signal received during synchronous work is delivered before the trap is removed', async () => {
    let heard: string | undefined;
    const trap = trapSignals((s) => (heard = s));
    process.kill(process.pid, 'SIGTERM');
    // Synchronous work, as writeCheckpoint's fsync: the signal waits in the event loop meanwhile.
    const until = Date.now() + 100;
    while (Date.now() < until);
    await trap.dispose();
    assert.equal(trap.received, 'SIGTERM');
    assert.equal(heard, 'SIGTERM');
  });
});
