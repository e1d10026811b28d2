// Draws the server processes' RSS over a chaos run as an SVG line chart, from the run's --json output
// (section servers_over_time): node bench/plot_rss.mjs chaos.json docs/chaos-rss.svg "title"
// A process killed and restarted by the run starts again from its baseline; the drop shows where.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, title = 'Server RSS over the chaos run'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node bench/plot_rss.mjs RUN.json OUT.svg [TITLE]');
  process.exit(2);
}
const run = JSON.parse(readFileSync(input, 'utf8'));
const samples = run.results?.servers_over_time?.samples;
if (!Array.isArray(samples) || samples.length < 2) {
  console.error(`${input}: no servers_over_time samples`);
  process.exit(1);
}

const width = 720, height = 320, left = 56, right = 16, top = 36, bottom = 40;
const processes = samples[0].rss_mib.length;
const maxT = Math.max(...samples.map((s) => s.t), 1);
const step = 20; // MiB between grid lines
const maxRss = Math.ceil((Math.max(...samples.flatMap((s) => s.rss_mib)) + 5) / step) * step;
const x = (t) => left + (t / maxT) * (width - left - right);
const y = (mib) => top + (1 - mib / maxRss) * (height - top - bottom);
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

const parts = [];
parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
parts.push(`<rect width="100%" height="100%" fill="white"/>`);
parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`);
for (let mib = 0; mib <= maxRss; mib += step) {
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(mib)}" y2="${y(mib)}" stroke="#ddd"/>`);
  parts.push(`<text x="${left - 6}" y="${y(mib) + 4}" text-anchor="end">${mib.toFixed(0)}</text>`);
}
for (let i = 0; i <= 6; i++) {
  const t = (maxT * i) / 6;
  parts.push(`<text x="${x(t)}" y="${height - bottom + 16}" text-anchor="middle">${(t / 60).toFixed(maxT < 600 ? 1 : 0)}</text>`);
}
parts.push(`<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle">minutes</text>`);
parts.push(`<text x="14" y="${(top + height - bottom) / 2}" transform="rotate(-90 14 ${(top + height - bottom) / 2})" text-anchor="middle">RSS, MiB</text>`);
for (let p = 0; p < processes; p++) {
  const points = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.rss_mib[p]).toFixed(1)}`).join(' ');
  parts.push(`<polyline fill="none" stroke="${colours[p % colours.length]}" stroke-width="1.5" points="${points}"/>`);
  parts.push(`<text x="${width - right - 4}" y="${top + 14 + 14 * p}" text-anchor="end" fill="${colours[p % colours.length]}">process ${p + 1}</text>`);
}
parts.push('</svg>');
writeFileSync(output, parts.join('\n') + '\n');
console.log(`${output}: ${samples.length} samples over ${(maxT / 60).toFixed(1)} min, up to ${maxRss} MiB`);
