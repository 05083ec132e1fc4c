/**
 * The graph addon checks every argument at its entry points instead of casting or reading
 * unset values: externals of the wrong kind, non-array lists, shapes that overflow, output
 * indices past an operation's outputs, operations of another graph; and closing a session
 * waits for the run in flight. Skips, saying why, where `native` did not build the addon.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { useBackend } from '../../src/backends';
import { graphEngineUnavailable } from '../../src/engine/graph';
import { threadConfig } from '../../src/engine/graph/threads';
import { DT, GraphApi, OpHandle, Output, loadGraphApi } from '../../src/native/graph-api';

let missing: string | undefined;
let api: GraphApi;
/** The addon without its types: what a careless caller could pass. */
let raw: Record<string, (...args: unknown[]) => unknown>;

before(async () => {
  try {
    await useBackend('tensorflow');
    missing = graphEngineUnavailable();
  } catch (err) {
    missing = `native backend not set up (\`npx mnist-deep native\`): ${(err as Error).message}`;
  }
  if (!missing) {
    api = loadGraphApi().api as GraphApi;
    raw = api as unknown as typeof raw;
  }
});

const f32 = ['T', 'type', DT.float] as const;

/** A graph with a float placeholder `x` ([n, n]) and y = x·x. */
function square(n: number) {
  const graph = api.graph();
  const x = api.op(
    graph,
    'Placeholder',
    'x',
    [],
    [
      ['dtype', 'type', DT.float],
      ['shape', 'shape', [n, n]],
    ],
    [],
  );
  const y = api.op(
    graph,
    'MatMul',
    'y',
    [
      [x, 0],
      [x, 0],
    ],
    [f32],
    [],
  );
  return { graph, x: [x, 0] as Output, y: [y, 0] as Output };
}

describe('graph addon arguments', () => {
  it('refuses lists that are not arrays (attrs of an op) with a TypeError', (t) => {
    if (missing) return t.skip(missing);
    const graph = api.graph();
    assert.throws(() => raw.op(graph, 'Placeholder', 'x', [], { length: 3 }, []), TypeError);
    assert.throws(() => raw.op(graph, 'Placeholder', 'x', 'inputs', [], []), TypeError);
    assert.throws(() => raw.op(graph, 'NoOp', 'n', [], [], 7), TypeError);
  });

  it('refuses an external of the wrong kind instead of casting it', (t) => {
    if (missing) return t.skip(missing);
    const { graph, x } = square(2);
    const session = api.session(graph, threadConfig(1, 1));
    assert.throws(() => raw.closeSession(graph), TypeError);
    assert.throws(() => raw.op(session, 'NoOp', 'n', [], [], []), TypeError);
    assert.throws(() => raw.run(graph, [], [], []), TypeError);
    assert.throws(() => raw.session(session, threadConfig(1, 1)), TypeError);
    assert.throws(() => raw.op(graph, 'Identity', 'i', [[graph, 0]], [f32], []), /bad inputs/);
    assert.throws(() => raw.run(session, [], [[session, 0]], []), TypeError);
    assert.throws(() => raw.run(session, [], [], [graph]), TypeError);
    void x;
    api.closeSession(session);
  });

  it('refuses a shape whose element count overflows or is negative ([-1, -1])', (t) => {
    if (missing) return t.skip(missing);
    const graph = api.graph();
    const constant = (dims: number[], data: Float32Array) =>
      api.op(
        graph,
        'Const',
        `c${dims.join('_')}`,
        [],
        [
          ['dtype', 'type', DT.float],
          ['value', 'tensor', [DT.float, dims, data]],
        ],
        [],
      );
    assert.throws(() => constant([-1, -1], new Float32Array(1)), /negative dimension or too many elements/);
    assert.throws(() => constant([2 ** 40, 2 ** 40], new Float32Array(0)), /negative dimension or too many elements/);
    assert.throws(() => constant([NaN], new Float32Array(0)), /bad inputs or attributes|a tensor is/);
    assert.doesNotThrow(() => constant([1, 1], new Float32Array(1)));
  });

  it("refuses an output index past the operation's outputs, and an operation of another graph", async (t) => {
    if (missing) return t.skip(missing);
    const a = square(2);
    const b = square(2);
    assert.throws(() => api.op(a.graph, 'Identity', 'i', [[a.y[0], 5]], [f32], []), /bad inputs/);
    const session = api.session(a.graph, threadConfig(1, 1));
    const feed = [DT.float, [2, 2], new Float32Array([1, 2, 3, 4])] as const;
    assert.throws(() => api.run(session, [[b.x, feed]], [a.y], []), TypeError);
    assert.throws(() => api.run(session, [[a.x, feed]], [b.y], []), TypeError);
    const [y] = await api.run(session, [[a.x, feed]], [a.y], []);
    assert.deepEqual([...y], [7, 10, 15, 22]);
    api.closeSession(session);
    assert.throws(() => api.run(session, [[a.x, feed]], [a.y], []), /the session is closed/);
  });

  it('closing a session waits for the run in flight on a pool thread, which completes', async (t) => {
    if (missing) return t.skip(missing);
    const n = 1200;
    const { graph, x, y } = square(n);
    // y·y·y…: long enough that the close below comes while it runs.
    let last: OpHandle = y[0];
    for (let i = 0; i < 6; i++)
      last = api.op(
        graph,
        'MatMul',
        `p${i}`,
        [
          [last, 0],
          [x[0], 0],
        ],
        [f32],
        [],
      );
    const session = api.session(graph, threadConfig(1, 1));
    const xs = new Float32Array(n * n).fill(1 / n);
    const running = api.run(session, [[x, [DT.float, [n, n], xs]]], [[last, 0]], []);
    api.closeSession(session);
    const [out] = await running;
    assert.equal(out.length, n * n);
    assert.ok(Math.abs(out[0] - 1 / n) < 1e-5, `first value ${out[0]}`);
  });
});
