/**
 * Signs many distinct valid tokens on every core: RSA signing costs far more than verifying, so a
 * million tokens take minutes on one thread. Tokens come in batches, with at most two batches in
 * flight per worker, so a stream of a million never sits in memory at once.
 *
 * `processes: true` signs in child processes instead of worker threads, so that the memory the
 * signers use is not counted in this process's RSS (the memory stage measures this process).
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const script = new URL('./token-signer-worker.mjs', import.meta.url);

export class TokenSigner {
  /**
   * @param issuer a BenchIssuer
   * @param options.threads signers (default: one per core); options.processes: child processes
   *   instead of worker threads.
   */
  constructor(issuer, { threads = availableParallelism(), processes = false } = {}) {
    const init = { privateKeyPem: issuer.privateKeyPem, headerB64: issuer.headerB64 };
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      if (!processes) return new Worker(script, { workerData: init });
      const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      child.send({ init });
      // Same surface as a Worker for the code below.
      child.postMessage = (message) => child.send(message);
      child.terminate = () => child.kill();
      return child;
    });
    // A signer answers its requests in order: one listener hands each answer to the oldest waiter.
    this.waiters = new Map(this.workers.map((worker) => [worker, []]));
    for (const worker of this.workers) {
      worker.on('message', (tokens) => this.waiters.get(worker).shift()(tokens));
    }
    /** Tokens signed so far and the wall time spent, for the report. */
    this.signed = 0;
    this.elapsedMs = 0;
  }

  /** Yields `total` tokens in batches of up to `batchSize`. */
  async *stream(total, batchSize = 500) {
    const started = performance.now();
    let requested = 0;
    const pending = [];
    const request = (worker) => {
      const count = Math.min(batchSize, total - requested);
      if (count <= 0) return;
      requested += count;
      pending.push(new Promise((resolve) => this.waiters.get(worker).push((tokens) => resolve({ worker, tokens }))));
      worker.postMessage({ count });
    };
    // Two requests per worker keep every thread busy while the consumer works on a batch.
    for (const worker of this.workers) request(worker);
    for (const worker of this.workers) request(worker);
    while (pending.length > 0) {
      const { worker, tokens } = await pending.shift();
      this.signed += tokens.length;
      request(worker);
      yield tokens;
    }
    this.elapsedMs += performance.now() - started;
  }

  /** All `total` tokens in one array. */
  async signAll(total, batchSize = 500) {
    const all = [];
    for await (const batch of this.stream(total, batchSize)) all.push(...batch);
    return all;
  }

  async close() {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
