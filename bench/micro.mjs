/**
 * Micro benchmark: one verification at a time (distinct tokens, one repeated token) and 64 in
 * flight, in one process, with tinybench. Rounds are interleaved (every contender once per round,
 * the order rotated) and each figure is the median over rounds; ratios are taken to the floor
 * within each round, then the median.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { Bench } from 'tinybench';
import { CLIENT_ID, ISSUER, USER_POOL_ID } from './lib/bench-issuer.mjs';
import { handRolledGuard, ourGuard, passportJwtFloorGuard } from './lib/nest-contenders.mjs';
import { median, rotate, round } from './lib/stats.mjs';
import { createVerificationPath } from './lib/verification-path.mjs';

const FORGERIES = ['signature', 'iss', 'kid', 'foreign-key'];
export const IN_FLIGHT = 64;

/** Splits a compact JWS once; the floor does no more than this and the RSA check. */
function floorParts(token) {
  const dot = token.lastIndexOf('.');
  return [Buffer.from(token.slice(0, dot)), Buffer.from(token.slice(dot + 1), 'base64url')];
}

/**
 * The contenders, each `{ name, verify(token) }`: `verify` resolves to a truthy value for an
 * accepted token and throws or returns false otherwise.
 */
async function createContenders(issuer, log) {
  const keyObject = createPublicKey({ key: issuer.jwks.keys[0], format: 'jwk' });
  const contenders = [];
  contenders.push({
    name: 'crypto.verify, cached KeyObject (floor)',
    floor: true,
    verify(token) {
      const [input, signature] = floorParts(token);
      return cryptoVerify('sha256', input, keyObject, signature);
    },
  });
  contenders.push({
    name: 'crypto.verify with callback (thread pool)',
    inFlightOnly: true,
    verify(token) {
      const [input, signature] = floorParts(token);
      return new Promise((resolve, reject) =>
        cryptoVerify('sha256', input, keyObject, signature, (error, ok) => (error ? reject(error) : resolve(ok))),
      );
    },
  });

  // nest-cognito-auth: with `cache: false` where the module has a result cache to switch off (target 1
  // is about the path without one); a version without the option refuses the key at start.
  let ours;
  let ourOptions = 'default options';
  try {
    ours = await createVerificationPath(await ourGuard(issuer, { cache: false }));
    ourOptions = 'cache: false';
  } catch {
    ours = await createVerificationPath(await ourGuard(issuer));
  }
  log(`  nest-cognito-auth micro path runs with ${ourOptions}`);
  contenders.push({
    name: `nest-cognito-auth (${ourOptions})`,
    ours: true,
    options: ourOptions,
    path: ours,
    verify: (t) => pathVerify(ours, t),
  });
  if (ourOptions !== 'default options') {
    const cached = await createVerificationPath(await ourGuard(issuer));
    contenders.push({
      name: 'nest-cognito-auth (default options)',
      ours: true,
      options: 'default options',
      path: cached,
      verify: (t) => pathVerify(cached, t),
    });
  }

  const aws = CognitoJwtVerifier.create({ userPoolId: USER_POOL_ID, clientId: CLIENT_ID, tokenUse: 'access' });
  aws.cacheJwks(issuer.jwks); // the documented way to hand it keys without fetching from AWS
  contenders.push({ name: 'aws-jwt-verify', verify: (token) => aws.verify(token) });

  const joseKeys = createLocalJWKSet(issuer.jwks);
  contenders.push({
    name: 'jose jwtVerify',
    async verify(token) {
      const { payload } = await jwtVerify(token, joseKeys, { issuer: ISSUER, algorithms: ['RS256'] });
      if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new Error('claims');
      return payload;
    },
  });
  contenders.push({
    name: 'jsonwebtoken, KeyObject',
    verify(token) {
      const payload = jsonwebtoken.verify(token, keyObject, { algorithms: ['RS256'], issuer: ISSUER });
      if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new Error('claims');
      return payload;
    },
  });
  const handRolled = await createVerificationPath(await handRolledGuard(issuer));
  contenders.push({
    name: 'passport-jwt + jwks-rsa (hand-rolled)',
    path: handRolled,
    verify: (t) => pathVerify(handRolled, t),
  });
  const floor = await createVerificationPath(await passportJwtFloorGuard(issuer));
  contenders.push({
    name: 'passport-jwt floor (engine only, KeyObject)',
    path: floor,
    verify: (t) => pathVerify(floor, t),
  });
  return contenders;
}

async function pathVerify(path, token) {
  const outcome = await path.verify(token);
  if (outcome !== 'accepted') throw new Error(`refused: ${outcome}`);
  return true;
}

async function accepts(contender, token) {
  try {
    return Boolean(await contender.verify(token));
  } catch {
    return false;
  }
}

/**
 * Runs the micro stage.
 * @param scale { rounds, distinct, repeated, inFlightCalls, warmup }: per round, calls of a
 *   contender in each mode (an in-flight call is 64 verifications).
 */
export async function runMicro({ issuer, signer, scale, log }) {
  const contenders = await createContenders(issuer, log);
  // tinybench makes a few calls beyond warm-up and iterations (it probes whether a task is async).
  const slack = 8;
  const perRoundDistinct = scale.distinct + scale.warmup + slack;
  const perRoundInFlight = (scale.inFlightCalls + scale.warmup + slack) * IN_FLIGHT;
  const distinctNeed = scale.rounds * perRoundDistinct;
  const inFlightNeed = scale.rounds * perRoundInFlight;
  const signStart = signer.elapsedMs;
  const pool = await signer.signAll(distinctNeed + inFlightNeed);
  const signingMs = signer.elapsedMs - signStart;
  log(`  signed ${pool.length} distinct tokens in ${(signingMs / 1000).toFixed(1)} s`);
  const repeatedToken = issuer.token();

  // Correctness gate: a contender that refuses a valid token or accepts a forged one is void.
  for (const contender of contenders) {
    const valid = (await accepts(contender, issuer.token())) && (await accepts(contender, repeatedToken));
    const forgedAccepted = [];
    for (const kind of FORGERIES) if (await accepts(contender, issuer.forged(kind))) forgedAccepted.push(kind);
    contender.gate = { acceptsValid: valid, forgedAccepted };
    contender.void = !valid || forgedAccepted.length > 0;
    if (contender.void) log(`  VOID ${contender.name}: ${JSON.stringify(contender.gate)}`);
  }

  const modes = [
    {
      mode: 'distinct',
      label: 'distinct tokens, one at a time',
      calls: scale.distinct,
      perCall: 1,
      base: 0,
      perRound: perRoundDistinct,
    },
    { mode: 'repeated', label: 'one repeated token, one at a time', calls: scale.repeated, perCall: 1 },
    {
      mode: 'inflight',
      label: `distinct tokens, ${IN_FLIGHT} in flight`,
      calls: scale.inFlightCalls,
      perCall: IN_FLIGHT,
      base: distinctNeed,
      perRound: perRoundInFlight,
    },
  ];
  const samples = {}; // mode -> name -> [ops/s per round]
  const ratioSamples = {};
  for (const m of modes) {
    samples[m.mode] = {};
    ratioSamples[m.mode] = {};
    for (let r = 0; r < scale.rounds; r++) {
      const bench = new Bench({
        time: 0,
        iterations: m.calls,
        warmupIterations: scale.warmup,
        warmupTime: 0,
        throws: true,
      });
      const active = contenders.filter((c) => !c.void && (m.mode === 'inflight' || !c.inFlightOnly));
      for (const contender of rotate(active, r)) {
        // Each contender walks its own slice of the pool, so no token repeats within a mode and
        // no token of one mode is seen again in another (a result cache never hits by accident).
        let cursor = m.base + r * m.perRound;
        const end = cursor + m.perRound;
        const next = () => {
          if (cursor >= end) throw new Error(`${contender.name} ran past its token slice`);
          return pool[cursor++];
        };
        const fn =
          m.mode === 'repeated'
            ? () => contender.verify(repeatedToken)
            : m.perCall === 1
              ? () => contender.verify(next())
              : () => Promise.all(Array.from({ length: IN_FLIGHT }, () => contender.verify(next())));
        bench.add(contender.name, fn);
      }
      await bench.run();
      const roundOps = {};
      for (const task of bench.tasks) {
        const result = task.result;
        if (result.state !== 'completed')
          throw new Error(`${task.name} (${m.mode}): ${result.state} ${result.error ?? ''}`);
        roundOps[task.name] = (m.perCall * 1000) / result.period;
        (samples[m.mode][task.name] ??= []).push(roundOps[task.name]);
      }
      const floorName = contenders.find((c) => c.floor).name;
      for (const [name, ops] of Object.entries(roundOps))
        (ratioSamples[m.mode][name] ??= []).push(ops / roundOps[floorName]);
    }
    log(`  ${m.label}: done`);
  }

  const rows = [];
  for (const m of modes) {
    for (const contender of contenders) {
      if (m.mode !== 'inflight' && contender.inFlightOnly) continue;
      const ops = samples[m.mode][contender.name];
      rows.push({
        mode: m.mode,
        modeLabel: m.label,
        contender: contender.name,
        ours: Boolean(contender.ours),
        options: contender.options ?? null,
        void: contender.void,
        gate: contender.gate,
        opsPerSecond: ops ? round(median(ops), 0) : null,
        ratioToFloor: ops ? round(median(ratioSamples[m.mode][contender.name]), 3) : null,
        rounds: ops ? ops.map((v) => round(v, 0)) : [],
      });
    }
  }
  for (const c of contenders) if (c.path) await c.path.close();
  return {
    scale,
    inFlight: IN_FLIGHT,
    tokensSigned: pool.length,
    signingSeconds: round(signingMs / 1000, 1),
    ourOptions: contenders.find((c) => c.ours)?.options ?? null,
    rows,
  };
}
