// The page's budget over 50 real crabs (octopus-crab processes, 10 keys each at 1 Hz) with an
// hour of history: the main-thread cost of each live update (one animation frame rendering
// what arrived since the last one) on the crab list and on a crab's 1 h chart, and the JS heap
// at the end. The page's main thread is also measured as a whole (CDP TaskDuration: scripts,
// message parsing, layout, paint) as the share of time it was busy. BUDGET_SECONDS (default 10) is the time measured on each view; the note's
// 10-minute figure comes from BUDGET_SECONDS=300 (5 min on each view). The screenshot of the list goes in the README.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, browser, until, screenshot, history } from './support.mjs';

const CRABS = 50;
const SECONDS = Number(process.env.BUDGET_SECONDS || 10);
// The 16 ms and main-thread limits are asserted with BUDGET_STRICT=1 (the 10-minute run whose
// figures the note gives). Under ctest they are printed, not asserted: a timed limit there fails
// when the machine is busy, not when the page is slow (one full-suite run measured p50 14.4 ms
// on the 1 h chart against 7.1 ms alone, minutes apart, same binary). Frames and heap are always checked.
const STRICT = process.env.BUDGET_STRICT === '1';
const hub = await Hub.start({ localCrab: false, config: '[buffer]\nsize = 4000\n' });
const chromium = await browser();
const crabs = [];
after(async () => {
  for (const c of crabs) await c.kill();
  await chromium.close();
  await hub.stop();
});

const names = Array.from({ length: CRABS }, (_, i) => `node-${String(i + 1).padStart(2, '0')}`);
const keys = (i) => ({
  cpu: (i * 13) % 100,
  memory: 40 + (i % 7),
  disk: 61.5,
  swap: 0,
  load1: (i % 5) / 2,
  load5: 1.2,
  load15: 1.1,
  net_rx_bps: (i * 997) % 100000,
  net_tx_bps: (i * 131) % 50000,
  disk_write_bps: (i * 4099) % 10000000,
});

// Frame costs and main-thread task time over `seconds` on the current view.
async function measure(page, cdp, seconds) {
  await page.evaluate(() => {
    window.octopusPerf.frames.length = 0;
  });
  const before = await cdp.send('Performance.getMetrics');
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after_ = await cdp.send('Performance.getMetrics');
  const frames = await page.evaluate(() => window.octopusPerf.frames.slice());
  const task = (m) => m.metrics.find((x) => x.name === 'TaskDuration').value;
  const sorted = [...frames].sort((a, b) => a - b);
  return {
    frames: frames.length,
    p50: sorted[Math.floor(sorted.length * 0.5)],
    p99: sorted[Math.floor(sorted.length * 0.99)],
    max: sorted[sorted.length - 1],
    taskPerFrameMs: ((task(after_) - task(before)) * 1000) / Math.max(1, frames.length),
    busy: (task(after_) - task(before)) / seconds,
  };
}

// Waits until the view has rendered a few live updates, past the first load's frames.
async function liveFrames(page) {
  await page.evaluate(() => {
    window.octopusPerf.frames.length = 0;
  });
  await until(async () => (await page.evaluate(() => window.octopusPerf.frames.length)) >= 3, 10000, 'live frames');
}

async function heapMB(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  return (await cdp.send('Runtime.getHeapUsage')).usedSize / 2 ** 20;
}

test(`budget: ${CRABS} crabs x 10 keys at 1 Hz, one hour loaded`, async () => {
  const started = Date.now();
  for (const name of names) await hub.push(name, history(3600, 1, keys, 2));
  console.log(`history: ${CRABS * 3600} snapshots pushed in ${Date.now() - started} ms`);
  for (const name of names) crabs.push(await hub.crab(name, '1s'));

  const page = await chromium.page({ width: 1400, height: 1000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${hub.url}/`);
  await until(async () => (await page.locator('tr[data-crab][data-state="online"]').count()) === CRABS, 15000, 'all crabs online');
  await liveFrames(page);
  const list = await measure(page, cdp, SECONDS);
  await screenshot(page, 'crabs-50');

  await page.goto(`${hub.url}/#/crab/node-01?w=1h`);
  const chart = page.locator('figure.chart[data-unit="percent"]');
  await until(async () => Number(await chart.getAttribute('data-points')) > 1150, 10000, '1 h loaded');
  await liveFrames(page);
  const crab = await measure(page, cdp, SECONDS);
  await screenshot(page, 'crab-1h');
  const heap = await heapMB(cdp);

  const show = (v, m) => `${v}: ${m.frames} frames, per frame p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, max ${m.max.toFixed(2)} ms; main thread ${(m.busy * 1000).toFixed(1)} ms per s, ${m.taskPerFrameMs.toFixed(2)} ms per frame, busy ${(m.busy * 100).toFixed(1)}%`;
  console.log(show('crab list', list));
  console.log(show('crab 1 h', crab));
  console.log(`JS heap after ${2 * SECONDS + 6} s live: ${heap.toFixed(1)} MB`);
  for (const m of [list, crab]) {
    assert.ok(m.frames >= SECONDS / 2, 'live updates were rendered');
    if (!STRICT) continue;
    assert.ok(m.p99 < 16, `p99 ${m.p99} ms`);
    assert.ok(m.busy < 0.5, `main thread busy ${m.busy * 100}% of the time`);
  }
  assert.ok(heap < 100, `heap ${heap} MB`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
