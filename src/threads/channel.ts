/**
 * One request/reply channel to a worker thread, for every pool (training
 * replicas, evaluation). Replies are queued until read, so one that arrives
 * before it is awaited is not lost; a worker that reports an error, throws, or
 * exits for any reason before `close()` fails every wait, present and future,
 * so no caller waits forever on a dead thread.
 */
import { MessagePort, Transferable, Worker, parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors';

/** What a worker sends when it cannot go on or a request failed. */
export interface WorkerFailure {
  type: 'error';
  message: string;
}

export class WorkerChannel<In, Out extends { type: string }> {
  private readonly worker: Worker;
  private readonly inbox: Out[] = [];
  private waiting: { resolve: (m: Out) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  /** `name` prefixes errors, e.g. "training worker". */
  constructor(
    file: string,
    data: unknown,
    private readonly name: string,
  ) {
    this.worker = new Worker(file, { workerData: data });
    this.worker.on('message', (m: Out | WorkerFailure) => {
      if (m.type === 'error') return this.fail(new Error(`${name}: ${(m as WorkerFailure).message}`));
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w.resolve(m as Out);
      else this.inbox.push(m as Out);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`${name} exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiting?.reject(this.failure);
    this.waiting = undefined;
  }

  /** The worker's next message (already queued or still to come). */
  next(): Promise<Out> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The next message, which must be of `type`. */
  async expect<T extends Out['type']>(type: T): Promise<Extract<Out, { type: T }>> {
    const m = await this.next();
    if (m.type !== type) throw new Error(`${this.name} sent ${m.type}, expected ${type}`);
    return m as Extract<Out, { type: T }>;
  }

  send(message: In, transfer: readonly Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * The worker's side: `setup` runs once with the spec from `workerData` and
 * returns the request handler; the worker then sends `{ type: 'ready' }`.
 * Any exception becomes a WorkerFailure message.
 */
export function serveWorker<Spec, In, Out>(setup: (spec: Spec) => Promise<(request: In) => Out>): void {
  const port: MessagePort | null = parentPort;
  if (!port) return;
  const fail = (err: unknown) =>
    port.postMessage({ type: 'error', message: errorMessage(err) } satisfies WorkerFailure);
  setup(workerData as Spec).then((handle) => {
    port.on('message', (request: In) => {
      try {
        port.postMessage(handle(request));
      } catch (err) {
        fail(err);
      }
    });
    port.postMessage({ type: 'ready' });
  }, fail);
}
