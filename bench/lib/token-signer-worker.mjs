// One signing thread of TokenSigner: answers each { count } with that many new signed tokens.
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { accessTokenClaims, signToken } from './bench-issuer.mjs';

const privateKey = createPrivateKey(workerData.privateKeyPem);
parentPort.on('message', ({ count }) => {
  const tokens = new Array(count);
  for (let i = 0; i < count; i++) tokens[i] = signToken(workerData.headerB64, accessTokenClaims(), privateKey);
  parentPort.postMessage(tokens);
});
