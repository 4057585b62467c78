import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The benchmark harness at its smallest scale (`node bench/run.mjs --smoke`): every stage runs end to
 * end against the built package, and what it writes is checked for shape, not speed. Benchmarks
 * themselves never run in `npm test`.
 */
describe('npm run bench -- --smoke', () => {
  let out: string;
  let results: any;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'bench-smoke-test-'));
    await promisify(execFile)(process.execPath, ['bench/run.mjs', '--smoke', '--out', out], {
      cwd: join(__dirname, '..'),
      timeout: 150_000,
    });
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  }, 160_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('records the machine and the command', () => {
    expect(results.machine).toEqual(
      expect.objectContaining({ cores: expect.any(Number), node: process.version, cpuModel: expect.any(String) }),
    );
    expect(results.command).toBe(`npm run bench -- --smoke --out ${out}`);
  });

  it('measures every micro contender, each passing the correctness gate, against the floor', () => {
    const distinct = results.micro.rows.filter((row: any) => row.mode === 'distinct');
    const names: string[] = distinct.map((row: any) => row.contender);
    // Once the module has a result cache, it runs twice: `cache: false` (target 3) and default options.
    const ours = names.filter((name) => name.startsWith('nest-cognito-auth ('));
    expect(ours.length === 1 ? ours : ours.sort()).toEqual(
      ours.length === 1
        ? ['nest-cognito-auth (default options)']
        : ['nest-cognito-auth (cache: false)', 'nest-cognito-auth (default options)'],
    );
    expect(names.filter((name) => !ours.includes(name))).toEqual([
      'crypto.verify, cached KeyObject (floor)',
      'aws-jwt-verify',
      'jose jwtVerify',
      'jsonwebtoken, KeyObject',
      'passport-jwt + jwks-rsa (hand-rolled)',
      'passport-jwt floor (engine only, KeyObject)',
    ]);
    for (const row of results.micro.rows) {
      expect(row).toEqual(expect.objectContaining({ void: false, gate: { acceptsValid: true, forgedAccepted: [] } }));
      expect(row.opsPerSecond).toBeGreaterThan(0);
    }
    expect(distinct[0].ratioToFloor).toBe(1);
  });

  it('gates our guard over HTTP: valid 200, forged and missing 401; one JWKS fetch when cold', () => {
    const ours = results.http.rows.filter((row: any) => row.contender === 'nest-cognito-auth');
    expect(ours.map((row: any) => row.mode)).toEqual(['rotating', 'distinct']);
    for (const row of ours) {
      expect(row.gate).toEqual({
        valid: 200,
        forged: { signature: 401, iss: 401, kid: 401, 'foreign-key': 401 },
        missing: 401,
        pass: true,
      });
      expect(row).toEqual(expect.objectContaining({ void: false, non2xx: 0, errors: 0, jwksFetchesDuringRuns: 0 }));
      expect(row.rps).toBeGreaterThan(0);
      expect(row.cpuPerRequestUs).toBeGreaterThan(0);
    }
    expect(ours[0].cold).toEqual({ requests: 100, statuses: { 200: 100 }, jwksFetches: 1 });
  });

  it('counts memory outcomes: every valid token accepted, no forged one', () => {
    const { outcomes, scale, readings, presentations, cacheSizes } = results.memory;
    // Each valid token is presented twice, so that the cache keeps it (from its second acceptance).
    expect(presentations).toBe(2);
    expect(outcomes.valid).toEqual({ accepted: scale.valid * presentations });
    expect(cacheSizes.verifiedTokenCache.entries).toBeGreaterThan(scale.valid / 2);
    expect(outcomes.forged.accepted).toBeUndefined();
    expect(readings).toHaveLength(3);
  });

  it('runs the engine alone over HTTP beside the module, gated like it: the floor targets 1 and 3 are read against', () => {
    const floor = results.http.rows.filter((row: any) => row.contender === 'passport-jwt floor');
    expect(floor.map((row: any) => row.mode)).toEqual(['rotating', 'distinct']);
    for (const row of floor) expect(row.gate.pass).toBe(true);
    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    // The smoke run has no @nestjs-cognito/auth row: its ratio reads n/a, the floor's own CPU is measured.
    expect(markdown).toMatch(/; passport-jwt floor n\/a× @nestjs-cognito\/auth \(server CPU [\d,]+ ours, [\d,]+ floor/);
    expect(markdown).toMatch(/× the crypto.verify floor\); passport-jwt floor [\d.]+× jsonwebtoken/);
  });

  it('writes the markdown report with the targets, and the chart', () => {
    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    expect(markdown).toContain('| 3. Verification path, no HTTP, distinct tokens');
    expect(markdown).toContain('| 1. HTTP, every token new');
    expect(markdown).toContain(`Node ${process.version}`);
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('>nest-cognito-auth</text>');
  });
});
