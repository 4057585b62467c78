/**
 * The load generator, in its own process so that it never shares an event loop with the server:
 * autocannon against one URL, each request carrying a token from a pre-signed list, picked in
 * order from `start` (every token new) or rotating over the first `rotate` tokens.
 * Receives its job over IPC and answers with the result.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

process.once('message', async (job) => {
  const tokens = readFileSync(job.tokensFile, 'utf8').split('\n').filter(Boolean);
  let next = 0;
  let wrapped = false;
  const pick = () => {
    let index;
    if (job.rotate) index = next++ % job.rotate;
    else {
      index = job.start + next++;
      if (index >= job.end) {
        wrapped = true;
        index = job.start + ((index - job.start) % (job.end - job.start));
      }
    }
    return tokens[index];
  };
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.duration,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${pick()}` } }),
      },
    ],
  });
  process.send({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    tokensUsed: next,
    wrapped,
    durationSeconds: result.duration,
  });
});
