import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WorkerChannel } from '../../src/threads/channel';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
const channelModule = JSON.stringify(join(__dirname, '../../src/threads/channel.js'));

/** A real worker file: `serveWorker` with the given setup body. */
function workerFile(name: string, setup: string): string {
  const file = join(tmp.dir, `${name}.js`);
  writeFileSync(file, `require(${channelModule}).serveWorker(async (spec) => {\n${setup}\n});\n`);
  return file;
}

type Reply = { type: 'ready' } | { type: 'echo'; value: number };

describe('worker channel', () => {
  it('queues replies until they are read, in order', async () => {
    const file = workerFile('echo', 'return (m) => ({ type: "echo", value: m.value * spec.factor });');
    const w = new WorkerChannel<{ value: number }, Reply>(file, { factor: 3 }, 'test worker');
    try {
      await w.expect('ready');
      for (const value of [1, 2, 3]) w.send({ value });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(
        [(await w.expect('echo')).value, (await w.expect('echo')).value, (await w.expect('echo')).value],
        [3, 6, 9],
      );
    } finally {
      await w.close();
    }
  });

  it('rejects when the worker exits without an error, also for later waits', async () => {
    const file = workerFile('quits', 'return () => process.exit(0);');
    const w = new WorkerChannel<{ value: number }, Reply>(file, {}, 'test worker');
    await w.expect('ready');
    const reply = w.next();
    w.send({ value: 1 });
    await assert.rejects(reply, /test worker exited \(code 0\)/);
    await assert.rejects(w.next(), /test worker exited/);
    await w.close();
  });

  it("rejects with the worker's message when a request fails, and when setup fails", async () => {
    const failing = workerFile('throws', 'return () => { throw new Error("no such batch"); };');
    const w = new WorkerChannel<{ value: number }, Reply>(failing, {}, 'test worker');
    await w.expect('ready');
    w.send({ value: 1 });
    await assert.rejects(w.next(), /^Error: test worker: no such batch$/);
    await w.close();
    const broken = new WorkerChannel<{ value: number }, Reply>(
      workerFile('setup', 'throw new Error("no backend");'),
      {},
      'test worker',
    );
    await assert.rejects(broken.expect('ready'), /test worker: no backend/);
    await broken.close();
  });

  it('rejects a reply of the wrong type', async () => {
    const file = workerFile('echo2', 'return (m) => ({ type: "echo", value: m.value });');
    const w = new WorkerChannel<{ value: number }, Reply>(file, {}, 'test worker');
    await assert.rejects(w.expect('echo'), /test worker sent ready, expected echo/);
    await w.close();
  });
});
