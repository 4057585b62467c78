#!/usr/bin/env node
/**
 * `npm run bench`: builds nothing itself (the npm script builds first), then runs the stages and
 * writes results.json, results.md and chart.svg, and the results section of bench/README.md for a full run.
 *
 *   node bench/run.mjs [--quick | --smoke] [--only micro,http,memory] [--out DIR] [--no-readme]
 *   node bench/run.mjs --rerender [--out DIR]   (tables, chart and README again from results.json)
 *   node bench/run.mjs --quick --only http --cpu-prof 'nest-cognito-auth'   (a .cpuprofile per server of
 *     the named contenders, comma-separated, in the results directory)
 *   node bench/run.mjs --quick --only http --contenders 'unguarded,nest-cognito-auth'   (only these HTTP
 *     contenders, comma-separated: a quick before/after of one change)
 *   node bench/run.mjs --quick --only http --modes rotating --rounds 5 --duration 5   (only these token
 *     modes, rotating and/or distinct; more or longer HTTP rounds than the scale's: a steadier before/after)
 *
 * Full scale is what the README reports. --quick is a smaller smoke run of every stage (about two
 * minutes); --smoke is the few-second run the test suite makes. Both write to a temporary
 * directory unless --out is given, and never touch the README.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HTTP_CONTENDERS, HTTP_MODES, runHttp } from './http.mjs';
import { BenchIssuer } from './lib/bench-issuer.mjs';
import { round } from './lib/stats.mjs';
import { TokenSigner } from './lib/token-signer.mjs';
import { runMicro } from './micro.mjs';
import { renderChart, renderMarkdown } from './report.mjs';

export const SCALES = {
  full: {
    micro: { rounds: 7, distinct: 2000, repeated: 2000, inFlightCalls: 40, warmup: 100 },
    http: { rounds: 5, duration: 10, warmup: 2, connections: 50, distinctTokens: 40_000, coldRequests: 1000 },
    memory: { valid: 1_000_000, forged: 100_000, warmup: 5000 },
  },
  quick: {
    micro: { rounds: 3, distinct: 300, repeated: 300, inFlightCalls: 8, warmup: 20 },
    http: { rounds: 1, duration: 3, warmup: 1, connections: 50, distinctTokens: 12_000, coldRequests: 1000 },
    memory: { valid: 20_000, forged: 2000, warmup: 2000 },
  },
  smoke: {
    micro: { rounds: 1, distinct: 20, repeated: 20, inFlightCalls: 2, warmup: 2 },
    http: {
      rounds: 1,
      duration: 1,
      warmup: 0,
      connections: 10,
      distinctTokens: 1000,
      coldRequests: 100,
      contenders: ['unguarded', 'nest-cognito-auth', 'passport-jwt floor'],
    },
    memory: { valid: 1000, forged: 200, warmup: 200 },
  },
};

const root = resolve(new URL('..', import.meta.url).pathname);
const README_START = '<!-- bench:start (written by npm run bench) -->';
/** The results section lives in the bench's own README; the project README links to it. */
const BENCH_README = 'bench/README.md';
const README_END = '<!-- bench:end -->';

/**
 * Contender names, comma-separated. Some names hold commas themselves ("… (revocation, Redis, 10,000
 * entries)"), so a piece that is no name is joined to the next while they spell the start of one.
 */
function contenderNames(text) {
  const names = [];
  let pending = null;
  for (const piece of text.split(',')) {
    const joined = pending === null ? piece : `${pending},${piece}`;
    const exact = HTTP_CONTENDERS.includes(joined.trim());
    if (!exact && HTTP_CONTENDERS.some((name) => name.startsWith(joined.trimStart()))) {
      pending = joined;
      continue;
    }
    names.push(joined.trim());
    pending = null;
  }
  if (pending !== null) names.push(pending.trim());
  return names;
}

function positiveInteger(flag, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag}: a whole number >= 1, got ${text}`);
  return value;
}

function machine() {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${platform()} ${release()}`,
    loadAverage: loadavg(),
  };
}

function runMemoryChild(scale, log) {
  const child = fork(join(root, 'bench/memory.mjs'), ['--child'], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolvePromise, reject) => {
    child.on('message', (message) => {
      if (message.log) log(message.log);
      else if (message.result) resolvePromise(message.result);
      else if (message.error) reject(new Error(message.error));
    });
    child.once('exit', (code) => reject(new Error(`memory stage exited with ${code}`)));
    child.send(scale);
  }).finally(() => child.kill());
}

/** Writes the README's Benchmarks section between its markers. */
function updateReadme(markdown, outDir) {
  const readmePath = join(root, BENCH_README);
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return false;
  const chart = relative(dirname(readmePath), join(outDir, 'chart.svg'));
  const body = renderMarkdownForReadme(markdown, chart);
  writeFileSync(readmePath, `${readme.slice(0, start + README_START.length)}\n${body}\n${readme.slice(end)}`);
  return true;
}

function renderMarkdownForReadme(markdown, chartPath) {
  return markdown.replace('](chart.svg)', `](${chartPath})`);
}

/** Writes results.md, chart.svg (and the README section) again from an existing results.json. */
function rerender(outDir, readme) {
  const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'));
  const markdown = renderMarkdown(results);
  writeFileSync(join(outDir, 'results.md'), `${markdown}\n`);
  const chart = renderChart(results);
  if (chart) writeFileSync(join(outDir, 'chart.svg'), chart);
  if (readme && results.scaleName === 'full') updateReadme(markdown, outDir);
  process.stdout.write(`${markdown}\n`);
  return { results, outDir };
}

export async function main(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      'no-readme': { type: 'boolean', default: false },
      rerender: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      contenders: { type: 'string' },
      modes: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
    },
  });
  if (values.rerender) return rerender(resolve(values.out ?? join(root, 'bench/results')), !values['no-readme']);
  const scaleName = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const scale = SCALES[scaleName];
  const stages = (values.only ?? 'micro,http,memory').split(',').map((s) => s.trim());
  const outDir = resolve(
    values.out ??
      (scaleName === 'full' ? join(root, 'bench/results') : mkdtempSync(join(tmpdir(), `bench-${scaleName}-`))),
  );
  mkdirSync(outDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'bench-work-'));
  const log = (line) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const results = {
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    scaleName,
    startedAt: new Date().toISOString(),
    machine: machine(),
    notes: [],
  };
  log(
    `bench (${scaleName}) on ${results.machine.cpuModel} × ${results.machine.cores}, Node ${results.machine.node}; results in ${outDir}`,
  );
  const issuer = await new BenchIssuer().start();
  const signer = new TokenSigner(issuer);
  try {
    if (stages.includes('micro')) {
      log('micro: verification path, no HTTP');
      results.micro = await runMicro({ issuer, signer, scale: scale.micro, log });
    }
    if (stages.includes('http')) {
      log('http: one Nest app per contender, autocannon');
      const { contenders: scaleContenders, ...httpScale } = scale.http;
      // Measurement knobs only: what each row measures stays the same.
      if (values.rounds !== undefined) httpScale.rounds = positiveInteger('--rounds', values.rounds);
      if (values.duration !== undefined) httpScale.duration = positiveInteger('--duration', values.duration);
      const modes = values.modes?.split(',').map((mode) => mode.trim());
      const unknownModes = modes?.filter((mode) => !HTTP_MODES.includes(mode)) ?? [];
      if (unknownModes.length > 0)
        throw new Error(`--modes: unknown ${unknownModes.join(', ')} (one of ${HTTP_MODES.join(', ')})`);
      const contenders = values.contenders === undefined ? scaleContenders : contenderNames(values.contenders);
      const unknown = contenders?.filter((name) => !HTTP_CONTENDERS.includes(name)) ?? [];
      if (unknown.length > 0)
        throw new Error(`--contenders: unknown ${unknown.join(', ')} (one of ${HTTP_CONTENDERS.join(', ')})`);
      results.http = await runHttp({
        issuer,
        signer,
        scale: httpScale,
        log,
        workDir,
        ...(contenders ? { contenders } : {}),
        ...(modes ? { modes } : {}),
        ...(values['cpu-prof'] ? { cpuProf: { names: contenderNames(values['cpu-prof']), dir: outDir } } : {}),
      });
    }
  } finally {
    await signer.close();
    await issuer.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  if (stages.includes('memory')) {
    log(`memory: ${scale.memory.valid} valid, ${scale.memory.forged} forged tokens through our verification path`);
    results.memory = await runMemoryChild(scale.memory, log);
  }
  if (issuer.httpsError) results.notes.push(`@nestjs-cognito/auth could not run: ${issuer.httpsError}`);
  if (results.http?.rows.some((r) => r.contender === 'unguarded' && r.tokensWrapped)) {
    results.notes.push(
      'The unguarded route verifies nothing, so its token list may wrap; every guarded row saw each token once per server ("every token new").',
    );
  }
  results.notes.push(
    'Absolute figures depend on the machine and on what else it runs (see the load average above); compare ratios within one run, not numbers across runs.',
  );
  results.totalSeconds = round((performance.now() - started) / 1000, 1);
  const markdown = renderMarkdown(results);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.md'), `${markdown}\n`);
  const chart = renderChart(results);
  if (chart) writeFileSync(join(outDir, 'chart.svg'), chart);
  const readme = scaleName === 'full' && !values['no-readme'] && stages.length === 3 && updateReadme(markdown, outDir);
  process.stdout.write(`${markdown}\n`);
  log(
    `wrote ${outDir}/results.{json,md}${chart ? ', chart.svg' : ''}${readme ? ' and the README Benchmarks section' : ''}`,
  );
  return { results, outDir };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
