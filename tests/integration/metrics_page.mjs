// Reading a server's /metrics page (METRICS_ADDR=127.0.0.1:0: the port is in the server's log).

import assert from 'node:assert/strict';

export const METRICS_LINE = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/;

export function metricsUrl(server) {
  const m = server.log.match(METRICS_LINE);
  assert.ok(m, `no "metrics on" line in the server log:\n${server.log.slice(-3000)}`);
  return `http://127.0.0.1:${m[1]}/metrics`;
}

/** The samples of a text-format page: Map of 'name{labels}' -> value. */
export function parseSamples(page) {
  const samples = new Map();
  for (const line of page.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** The sum of every sample of `name` whose labels include all of `labels` ({key: value}). */
export function total(samples, name, labels = {}) {
  let sum = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    const text = brace < 0 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

/** The samples of the server's page now. */
export async function samplesOf(server) {
  const res = await fetch(metricsUrl(server));
  assert.equal(res.status, 200);
  return parseSamples(await res.text());
}
