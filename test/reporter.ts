/**
 * `npm test`'s reporter. On a terminal: a line each time a test file finishes ("12/85 files,
 * 3m12s: test/commands/terminal.test.js"), since the files run one or two at a time for minutes;
 * of Node's spec reporter only the failures, what the tests wrote (less Dawn's warnings about the
 * software adapter's limits, which every WebGPU test prints) and the summary. Elsewhere (CI set,
 * logs, pipes): TAP, as before, ending with its plain summary (# tests, # pass, # fail).
 */
import { relative } from 'node:path';
import { spec, tap, type TestEvent } from 'node:test/reporters';
import { formatDuration } from '../src/terminal/progress';
import { isFancy } from '../src/terminal/status';

type Source = AsyncGenerator<TestEvent, void>;

/** Whether `event` is about a whole test file (Node names a file's own test after its path). */
function fileOf(event: TestEvent): string | undefined {
  const data = event.data as { name?: string; file?: string } | undefined;
  return data?.file !== undefined && data.name === data.file ? data.file : undefined;
}

/** Dawn's notes that the software adapter has lower limits than it asks for: true, and said by every WebGPU test. */
const ADAPTER_WARNING =
  /maxDynamicUniformBuffersPerPipelineLayout|artificially reduced|^\s*- While (requesting|validating)/;

/** What the spec reporter shows on a terminal: failures, the tests' output, the summary (not each passing test). */
function shown(event: TestEvent): TestEvent | undefined {
  if (event.type === 'test:fail' || event.type === 'test:diagnostic') return event;
  if (event.type !== 'test:stderr' && event.type !== 'test:stdout') return undefined;
  const message = event.data.message
    .split('\n')
    .filter((line) => !ADAPTER_WARNING.test(line))
    .join('\n');
  return message.trim() === '' ? undefined : ({ ...event, data: { ...event.data, message } } as TestEvent);
}

/** Whatever the spec reporter has written so far. */
function* drain(view: InstanceType<typeof spec>): Generator<string> {
  for (let chunk = view.read() as string | null; chunk !== null; chunk = view.read() as string | null) yield chunk;
}

/** A progress line per finished file, with the spec reporter's failures and summary. */
async function* specWithProgress(source: AsyncIterable<TestEvent>, start = Date.now()): AsyncGenerator<string> {
  const view = new spec();
  view.setEncoding('utf8');
  const files = new Set<string>();
  let done = 0;
  for await (const event of source) {
    const kept = shown(event);
    if (kept) view.write(kept);
    yield* drain(view);
    const file = fileOf(event);
    if (file === undefined) continue;
    if (event.type === 'test:enqueue') files.add(file);
    if (event.type === 'test:complete') {
      const elapsed = formatDuration((Date.now() - start) / 1000);
      yield `${++done}/${files.size} files, ${elapsed}: ${relative(process.cwd(), file)}\n`;
    }
  }
  view.end();
  for await (const chunk of view) yield chunk as string;
}

/** An arrow function: Node's runner would call a function with a prototype as a constructor. */
const reporter = (source: Source): AsyncGenerator<string> =>
  // NO_COLOR asks for no colours (the spec reporter follows it), not for TAP.
  isFancy(process.stdout, { ...process.env, NO_COLOR: '' }) ? specWithProgress(source) : tap(source);

// Node's test runner loads a reporter as the module itself (a CommonJS default export would be an object).
export = reporter;
