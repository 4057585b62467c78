// One signing thread or process of TokenSigner: answers each { count } with that many new signed
// tokens. As a worker thread it gets the key in workerData; as a child process, in a first { init }.
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { accessTokenClaims, signToken } from './bench-issuer.mjs';

let key;
function answer(message, reply) {
  if (message.init) {
    key = { privateKey: createPrivateKey(message.init.privateKeyPem), headerB64: message.init.headerB64 };
    return;
  }
  const tokens = new Array(message.count);
  for (let i = 0; i < message.count; i++) tokens[i] = signToken(key.headerB64, accessTokenClaims(), key.privateKey);
  reply(tokens);
}

if (parentPort) {
  answer({ init: workerData }, () => {});
  parentPort.on('message', (message) => answer(message, (tokens) => parentPort.postMessage(tokens)));
} else {
  process.on('message', (message) => answer(message, (tokens) => process.send(tokens)));
  process.on('disconnect', () => process.exit(0));
}
