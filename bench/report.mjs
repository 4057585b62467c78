/**
 * Turns a results object (run.mjs) into the markdown report and the SVG bar chart, and evaluates
 * the issue's targets. Pure functions: no I/O here.
 */
const fmt = (value, digits = 0) =>
  value === null || value === undefined
    ? 'n/a'
    : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function perRoundRatio(a, b) {
  if (!a?.length || !b?.length) return null;
  const ratios = a
    .map((v, i) => v / b[i])
    .filter(Number.isFinite)
    .sort((x, y) => x - y);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
}

function httpRoundRatio(rowA, rowB) {
  if (!rowA || !rowB) return null;
  const a = [];
  const b = [];
  for (const run of rowA.runs) {
    const other = rowB.runs.find((r) => r.round === run.round);
    if (other) {
      a.push(run.rps);
      b.push(other.rps);
    }
  }
  return perRoundRatio(a, b);
}

const verdict = (ok) => (ok === null ? 'n/a' : ok ? '**pass**' : '**miss**');

/**
 * The targets (issue 13's 1–5, plus the revocation and metrics rows of issues 16 and 11 when those
 * rows ran), each `{ target, measured, pass }` (`pass` null when not measured).
 */
export function evaluateTargets(results) {
  const targets = [];
  const http = results.http;
  const row = (mode, name) => http?.rows.find((r) => r.mode === mode && r.contender === name);
  const usable = (r) => r && !r.void;
  if (http) {
    const fresh = row('distinct', 'nest-cognito-auth');
    const freshNoCache = row('distinct', 'nest-cognito-auth (cache: false)');
    const peer = row('distinct', '@nestjs-cognito/auth');
    const vsPeer = httpRoundRatio(fresh, peer);
    const noCacheVsPeer = httpRoundRatio(freshNoCache, peer);
    // The engine alone (passport-jwt + @nestjs/passport + jsonwebtoken, none of the module's steps):
    // what is left of a miss once the module's own time is gone.
    const engine = row('distinct', 'passport-jwt floor');
    const engineVsPeer = httpRoundRatio(engine, peer);
    const engineNote = usable(engine)
      ? `; passport-jwt floor ${fmt(engineVsPeer, 2)}× @nestjs-cognito/auth (server CPU ${fmt(fresh?.cpuPerRequestUs)} ours, ${fmt(engine.cpuPerRequestUs)} floor, ${fmt(peer?.cpuPerRequestUs)} peer µs/req)`
      : '';
    targets.push({
      target:
        '1. HTTP, every token new: default options ≥ 1.0× @nestjs-cognito/auth and ≥ 0.55× unguarded; `cache: false` ≥ 1.05× @nestjs-cognito/auth',
      measured: `${fmt(vsPeer, 2)}× @nestjs-cognito/auth and ${fmt(fresh?.ratioToUnguarded, 2)}× unguarded; cache: false ${fmt(noCacheVsPeer, 2)}× @nestjs-cognito/auth${engineNote}`,
      pass:
        usable(fresh) && usable(peer) && vsPeer !== null
          ? vsPeer >= 1.0 && fresh.ratioToUnguarded >= 0.55 && (noCacheVsPeer === null || noCacheVsPeer >= 1.05)
          : null,
    });
    const hits = row('rotating', 'nest-cognito-auth');
    const ceiling = row('rotating', 'sets-user guard');
    const vsCeiling = httpRoundRatio(hits, ceiling);
    targets.push({
      target: '2. HTTP, tokens rotating over 1,000 (cache hits): ≥ 0.90× unguarded and ≥ 0.95× the sets-user guard',
      measured: `${fmt(hits?.ratioToUnguarded, 2)}× unguarded, ${fmt(vsCeiling, 2)}× the sets-user guard (server CPU ${fmt(hits?.cpuPerRequestUs)} vs ${fmt(ceiling?.cpuPerRequestUs)} µs/req)`,
      pass: usable(hits) && vsCeiling !== null ? hits.ratioToUnguarded >= 0.9 && vsCeiling >= 0.95 : null,
    });
    targets.push({
      target: '4. HTTP, every token new: p99 latency no worse than @nestjs-cognito/auth',
      measured: `${fmt(fresh?.p99Ms, 1)} ms vs ${fmt(peer?.p99Ms, 1)} ms`,
      pass: usable(fresh) && usable(peer) ? fresh.p99Ms <= peer.p99Ms : null,
    });
  }
  const micro = results.micro;
  if (micro) {
    const distinct = micro.rows.filter((r) => r.mode === 'distinct');
    const ours = distinct.find((r) => r.ours && r.options === 'cache: false');
    const jwt = distinct.find((r) => r.contender === 'jsonwebtoken, KeyObject');
    const vsJwt = perRoundRatio(ours?.rounds, jwt?.rounds);
    const engine = distinct.find((r) => r.contender.startsWith('passport-jwt floor'));
    const engineVsJwt = perRoundRatio(engine?.rounds, jwt?.rounds);
    const engineNote = usable(engine) ? `; passport-jwt floor ${fmt(engineVsJwt, 2)}× jsonwebtoken` : '';
    targets.push({
      target:
        '3. Verification path, no HTTP, distinct tokens, `cache: false`: ≥ 0.9× jsonwebtoken alone with a KeyObject',
      measured: `${fmt(vsJwt, 2)}× jsonwebtoken (${fmt(ours?.ratioToFloor, 2)}× the crypto.verify floor)${engineNote}`,
      pass: usable(ours) && vsJwt !== null ? vsJwt >= 0.9 : null,
    });
  }
  if (http) {
    const ours = row('rotating', 'nest-cognito-auth');
    const fresh = row('distinct', 'nest-cognito-auth');
    const warmFetches = (ours?.jwksFetchesDuringRuns ?? 0) + (fresh?.jwksFetchesDuringRuns ?? 0);
    const cold = ours?.cold;
    const coldOk = cold ? cold.jwksFetches === 1 && cold.statuses['200'] === cold.requests : false;
    targets.push({
      target: '5a. JWKS: no fetch per request once warm; one fetch for 1,000 concurrent cold requests',
      measured: `${warmFetches} fetches during the timed runs; cold start: ${cold?.jwksFetches ?? 'n/a'} fetch(es) for ${cold?.requests ?? 'n/a'} concurrent requests (${cold ? JSON.stringify(cold.statuses) : 'n/a'})`,
      pass: ours && cold?.requests >= 1000 ? warmFetches === 0 && coldOk : null,
    });
  }
  const memory = results.memory;
  if (memory) {
    const full = memory.scale.valid >= 1_000_000;
    targets.push({
      target:
        '5b. Memory: 1,000,000 distinct tokens leave RSS within 64 MB of the start; every cache bounded by an option',
      measured: `RSS +${fmt(memory.rssGrowthAfterValidMB, 1)} MB after ${fmt(memory.scale.valid)} tokens (+${fmt(memory.rssGrowthAfterForgedMB, 1)} MB after ${fmt(memory.scale.forged)} forged more); verified-token cache ${JSON.stringify(memory.cacheSizes?.verifiedTokenCache ?? null)}`,
      pass:
        full && memory.cacheSizes?.verifiedTokenCache
          ? memory.rssGrowthAfterValidMB <= 64 &&
            memory.cacheSizes.verifiedTokenCache.entries <= memory.cacheSizes.verifiedTokenCache.maxEntries
          : null,
    });
    targets.push({
      target: '5c. Forged-token floods cost no more than fresh valid tokens (tokens/s through the verification path)',
      measured: `${fmt(memory.forgedPerSecond)} forged/s vs ${fmt(memory.validPerSecond)} valid verifications/s`,
      pass: memory.forgedPerSecond && memory.validPerSecond ? memory.forgedPerSecond >= memory.validPerSecond : null,
    });
  }
  if (http) {
    // Issues 16 and 11: optional rows, measured when their contenders ran.
    for (const [name, bound, label] of [
      ['nest-cognito-auth (revocation, Redis, 10,000 entries)', 0.95, 'revocation on'],
      ['nest-cognito-auth (metrics on)', 0.97, 'metrics on'],
    ]) {
      for (const mode of ['rotating', 'distinct']) {
        const on = row(mode, name);
        if (!on) continue;
        const vsOff = httpRoundRatio(on, row(mode, 'nest-cognito-auth'));
        targets.push({
          target: `${label}, ${on.modeLabel}: ≥ ${bound}× off`,
          measured: `${fmt(vsOff, 3)}× off (server CPU ${fmt(on.cpuPerRequestUs)} vs ${fmt(row(mode, 'nest-cognito-auth')?.cpuPerRequestUs)} µs/req)`,
          pass: usable(on) && vsOff !== null ? vsOff >= bound : null,
        });
      }
    }
  }
  return targets;
}

/** The markdown report: machine, command, tables, targets. */
export function renderMarkdown(results, chartFile = 'chart.svg') {
  const lines = [];
  const m = results.machine;
  lines.push(
    `Run ${results.startedAt} · \`${results.command}\` (scale: ${results.scaleName}) · ${fmt(results.totalSeconds, 0)} s`,
  );
  lines.push('');
  lines.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${fmt(m.memoryGB, 0)} GB, Node ${m.node}, ${m.platform}; load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(' / ')}.`,
  );
  lines.push('');
  if (results.http) {
    lines.push(`![requests/s by contender](${chartFile})`);
    lines.push('');
    lines.push(
      `**HTTP** (Nest + Express, one process per contender, autocannon with ${results.http.scale.connections} connections from another process, ${results.http.scale.duration} s × ${results.http.scale.rounds} interleaved rounds, medians):`,
    );
    lines.push('');
    lines.push(
      '| tokens | contender | req/s | ratio to unguarded | p99 ms | server CPU µs/req | JWKS fetches in runs | gate |',
    );
    lines.push('|---|---|---:|---:|---:|---:|---:|---|');
    for (const r of results.http.rows) {
      const name = r.ours ? `**${r.contender}**` : r.contender;
      const gate = r.void
        ? `VOID ${r.non2xx ? `(${r.non2xx} non-2xx)` : ''}${r.errors ? `(${r.errors} errors)` : ''}${!r.gate?.pass ? '(gate failed)' : ''}`
        : r.contender === 'unguarded'
          ? 'n/a'
          : 'pass';
      lines.push(
        `| ${r.modeLabel} | ${name} | ${fmt(r.rps)} | ${fmt(r.ratioToUnguarded, 2)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.cpuPerRequestUs)} | ${r.jwksFetchesDuringRuns} | ${gate} |`,
      );
    }
    lines.push('');
    lines.push(
      'Cold start (fresh server, 1,000 concurrent requests with distinct valid tokens; JWKS fetches counted from the server start, prefetch at bootstrap included):',
    );
    lines.push('');
    lines.push('| contender | JWKS fetches | answers |');
    lines.push('|---|---:|---|');
    for (const r of results.http.rows.filter((row) => row.mode === 'rotating')) {
      lines.push(
        `| ${r.contender} | ${r.cold?.jwksFetches ?? 'n/a'} | ${
          r.cold
            ? Object.entries(r.cold.statuses)
                .map(([s, n]) => `${n} × ${s}`)
                .join(', ')
            : 'n/a'
        } |`,
      );
    }
    lines.push('');
  }
  if (results.micro) {
    const mi = results.micro;
    lines.push(
      `**Verification path, no HTTP** (one process, tinybench, ${mi.scale.rounds} interleaved rounds, medians; ratio = median of per-round ratios to the floor):`,
    );
    lines.push('');
    lines.push('| tokens | contender | verifications/s | ratio to the floor |');
    lines.push('|---|---|---:|---:|');
    for (const r of mi.rows) {
      const name = r.ours ? `**${r.contender}**` : r.contender;
      lines.push(
        `| ${r.modeLabel} | ${name}${r.void ? ' (VOID: failed the gate)' : ''} | ${fmt(r.opsPerSecond)} | ${fmt(r.ratioToFloor, 2)} |`,
      );
    }
    lines.push('');
  }
  if (results.memory) {
    const me = results.memory;
    lines.push(
      `**Memory** (our verification path in its own process, --expose-gc, RSS after a full GC; tokens signed by ${me.signing.processes} child processes of it, ${fmt(me.signing.tokens)} in ${fmt(me.signing.wallSeconds, 1)} s):`,
    );
    lines.push('');
    lines.push('| reading | RSS MB | heap used MB | external MB |');
    lines.push('|---|---:|---:|---:|');
    for (const r of me.readings)
      lines.push(`| ${r.label} | ${fmt(r.rssMB, 1)} | ${fmt(r.heapUsedMB, 1)} | ${fmt(r.externalMB, 1)} |`);
    lines.push('');
    if (me.rssEvery100kMB?.length)
      lines.push(`RSS every 100,000 valid tokens (MB, no forced GC): ${me.rssEvery100kMB.join(', ')}.`, '');
    const unanswered = me.outcomes.forged['no answer'] ?? 0;
    if (unanswered > 0) {
      lines.push(
        `**Finding:** ${unanswered} forged tokens got no answer within 2 s. They carry unknown kids and arrive while the JWKS refetch budget runs out (64 in flight); a separate check with 20 such tokens at once saw 6 still pending after 30 s.`,
        '',
      );
    }
    lines.push(
      `Outcomes: valid ${JSON.stringify(me.outcomes.valid)}; forged ${JSON.stringify(me.outcomes.forged)} ('no answer' = not settled within 2 s). JWKS fetches: ${me.jwksFetches.total} in all, ${me.jwksFetches.duringForged} during the forged tokens. ${fmt(me.validPerSecond)} valid verifications/s (each token twice) while signing on the same cores.`,
    );
    lines.push('');
  }
  const targets = evaluateTargets(results);
  if (targets.length) {
    lines.push('**Targets** (issue 13; revocation and metrics rows from issues 16 and 11):');
    lines.push('');
    lines.push('| target | measured | verdict |');
    lines.push('|---|---|---|');
    for (const t of targets) lines.push(`| ${t.target} | ${t.measured} | ${verdict(t.pass)} |`);
    lines.push('');
  }
  if (results.notes?.length) {
    for (const note of results.notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return lines.join('\n');
}

const escapeXml = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** A horizontal grouped bar chart of HTTP req/s by contender, one bar per token mode. */
export function renderChart(results) {
  const http = results.http;
  if (!http) return null;
  const contenders = [...new Set(http.rows.map((r) => r.contender))];
  const modes = [...new Set(http.rows.map((r) => r.mode))];
  const colors = { rotating: '#2f6fbf', distinct: '#e08a2c' };
  const labels = Object.fromEntries(http.rows.map((r) => [r.mode, r.modeLabel]));
  const max = Math.max(1, ...http.rows.map((r) => r.rps ?? 0));
  const left = 180;
  const width = 720;
  const plot = width - left - 90;
  const barH = 18;
  const groupH = modes.length * barH + 16;
  const top = 44;
  const height = top + contenders.length * groupH + 40;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(
    `<text x="${left}" y="20" font-size="14" font-weight="bold">requests/s, GET behind each guard (higher is better)</text>`,
  );
  contenders.forEach((name, i) => {
    const y0 = top + i * groupH;
    out.push(
      `<text x="${left - 8}" y="${y0 + (modes.length * barH) / 2 + 4}" text-anchor="end"${name.startsWith('nest-cognito-auth') ? ' font-weight="bold"' : ''}>${escapeXml(name)}</text>`,
    );
    modes.forEach((mode, j) => {
      const row = http.rows.find((r) => r.contender === name && r.mode === mode);
      const value = row?.rps ?? 0;
      const w = Math.max(1, (value / max) * plot);
      const y = y0 + j * barH;
      out.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${colors[mode] ?? '#888'}"${row?.void ? ' fill-opacity="0.35"' : ''}/>`,
      );
      out.push(
        `<text x="${(left + w + 4).toFixed(1)}" y="${y + barH - 6}">${fmt(value)}${row?.void ? ' (void)' : ''}</text>`,
      );
    });
  });
  const ly = height - 16;
  modes.forEach((mode, j) => {
    const x = left + j * 220;
    out.push(`<rect x="${x}" y="${ly - 10}" width="12" height="12" fill="${colors[mode] ?? '#888'}"/>`);
    out.push(`<text x="${x + 16}" y="${ly}">${escapeXml(labels[mode])}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
