// The 24 h window reads /v1/crabs/NAME/records with step and agg: the points on the chart are
// exactly what the hub answers to the same query.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, browser, until, screenshot, history } from './support.mjs';

const hub = await Hub.start({ localCrab: false });
const chromium = await browser();
after(async () => {
  await chromium.close();
  await hub.stop();
});

test('a 24 h window shows the downsampled points of the records API', async () => {
  // A day of snapshots every 20 s: 4,320 raw, 1,440 buckets of 60 s.
  const day = history(4320, 20, (i) => ({ cpu: (i * 7) % 100, memory: 30 + (i % 11), net_rx_bps: i * 1000, load1: (i % 9) / 3 }));
  await hub.push('archive-1', day);
  const page = await chromium.page();
  await page.goto(`${hub.url}/#/crab/archive-1?w=24h`);
  const chart = page.locator('figure.chart[data-unit="percent"]');
  await until(async () => Number(await chart.getAttribute('data-points')) > 1000, 5000, 'points loaded');
  const query = page.requests.find((u) => u.includes('/v1/crabs/archive-1/records'));
  assert.ok(query, 'the page asked the records API');
  const url = new URL(query);
  assert.equal(url.searchParams.get('step'), '60');
  assert.equal(url.searchParams.get('agg'), 'avg');
  const answer = (await hub.get(url.pathname + url.search)).json();
  const shown = await page.evaluate(() => {
    const s = window.octopusApp.view.series;
    return { times: s.times, cpu: s.values.get('cpu'), memory: s.values.get('memory'), net: s.values.get('net_rx_bps') };
  });
  assert.ok(answer.points.length >= 1400 && answer.points.length <= 1442, `${answer.points.length} points`);
  assert.deepEqual(shown.times, answer.points.map((p) => p.t));
  assert.deepEqual(shown.cpu, answer.points.map((p) => p.values.cpu));
  assert.deepEqual(shown.memory, answer.points.map((p) => p.values.memory));
  assert.deepEqual(shown.net, answer.points.map((p) => p.values.net_rx_bps));
  assert.equal(Number(await chart.getAttribute('data-points')), answer.points.length);
  await screenshot(page, 'crab-24h');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('7 d uses 300 s buckets and 1 h 3 s buckets; both stay within a few thousand points', async () => {
  const page = await chromium.page();
  for (const [w, step] of [['7d', '300'], ['1h', '3']]) {
    await page.goto(`${hub.url}/#/crab/archive-1?w=${w}`);
    await page.locator(`button[data-window="${w}"][aria-pressed="true"]`).waitFor();
    const asked = await until(() => page.requests.find((u) => u.includes('/records?') && u.includes(`step=${step}&`)), 5000, `${w} query`);
    const url = new URL(asked);
    assert.equal(url.searchParams.get('agg'), 'avg');
    const answer = (await hub.get(url.pathname + url.search)).json();
    assert.ok(answer.points.length <= 2100);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});
