// The page and its assets, served by the real hub; the crab list and a crab's chart live in
// headless Chromium; a vanished crab, a lost hub and a gap are visible.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, browser, until, screenshot, lowestContrast } from './support.mjs';

const hub = await Hub.start({ config: '[subscribers]\nmax_queue_messages = 50\n' });
const chromium = await browser();
after(async () => {
  await chromium.close();
  await hub.stop();
});

// Every request the page made went to the hub; nothing reached the console as an error.
function clean(page) {
  assert.deepEqual(page.errors, []);
  const foreign = page.requests.filter((u) => !u.startsWith(hub.url + '/'));
  assert.deepEqual(foreign, []);
}

test('assets: from the binary, gzip, ETag revalidation, CSP, licences', async () => {
  const page = await hub.get('/', { 'Accept-Encoding': 'gzip' });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.match(page.headers.get('content-security-policy'), /connect-src 'self'/);
  assert.match(page.text, /<script type="module" src="\/assets\/app.js">/);
  const etag = page.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  const again = await hub.get('/', { 'If-None-Match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
  const raw = await fetch(`${hub.url}/assets/uPlot.esm.js`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(raw.headers.get('content-encoding'), 'gzip');
  const plain = await fetch(`${hub.url}/assets/uPlot.esm.js`, { headers: { 'Accept-Encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  const refused = await fetch(`${hub.url}/assets/uPlot.esm.js`, { headers: { 'Accept-Encoding': 'br, GZIP;q=0' } });
  assert.equal(refused.headers.get('content-encoding'), null);
  const weighted = await fetch(`${hub.url}/assets/uPlot.esm.js`, { headers: { 'Accept-Encoding': 'br;q=1.0, GZIP ; q=0.5' } });
  assert.equal(weighted.headers.get('content-encoding'), 'gzip');
  assert.equal(await raw.text(), await plain.text());
  const licences = await hub.get('/licenses');
  assert.match(licences.text, /uPlot/);
  assert.match((await hub.get('/licenses/uplot')).text, /MIT License/);
  const missing = await hub.get('/assets/nothing.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().code, 'not_found');
});

test('the page loads clean and local_system goes live, in the list and on its chart', async () => {
  const page = await chromium.page();
  await page.goto(hub.url + '/');
  const row = page.locator('tr[data-crab="local_system"]');
  await row.waitFor();
  await until(async () => (await row.getAttribute('data-state')) === 'online', 5000, 'local_system online');
  assert.match(await row.locator('td.c-values').innerText(), /cpu [0-9.]+%/);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    const lowest = await lowestContrast(page);
    assert.ok(lowest.ratio >= 4.5, `${scheme}: ${JSON.stringify(lowest)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, 'crabs');
  await row.press('Enter');
  await page.waitForURL(/#\/crab\/local_system/);
  const chart = page.locator('figure.chart[data-unit="percent"]');
  await until(async () => Number(await chart.getAttribute('data-points')) >= 1, 5000, 'chart has points');
  const first = Number(await chart.getAttribute('data-points'));
  await until(async () => Number(await chart.getAttribute('data-points')) > first, 5000, 'chart gains points');
  assert.ok(await page.locator('figure.chart[data-unit="rate"]').count());
  await screenshot(page, 'crab');
  clean(page);
  await page.close();
});

test('a reload revalidates every file: 304, no body', async () => {
  const page = await chromium.page();
  await page.goto(hub.url + '/');
  await page.locator('tr[data-crab="local_system"]').waitFor();
  const files = [];
  page.on('response', async (r) => {
    const p = new URL(r.url()).pathname;
    const conditional = Boolean((await r.request().allHeaders())['if-none-match']);
    if (p === '/' || p.startsWith('/assets/')) files.push([p, r.status(), conditional]);
  });
  await page.reload();
  await page.locator('tr[data-crab="local_system"]').waitFor();
  await until(() => files.length >= 13, 2000, 'every file answered');
  // Chromium hands a revalidated document to the page as the cached 200; `/` is checked for
  // 304 with no body in the assets test above.
  for (const [p, status, conditional] of files) {
    assert.ok(conditional, `${p} without If-None-Match`);
    if (p !== '/') assert.equal(status, 304, p);
  }
  clean(page);
  await page.close();
});

test('the hub panel shows rates and ack latency; dark mode follows the system', async () => {
  const page = await chromium.page();
  await page.goto(hub.url + '/#/hub');
  const ingest = page.locator('[data-stat="Ingest"] dd');
  await until(async () => /^[0-9.]+\/s$/.test(await ingest.innerText()), 6000, 'an ingest rate');
  assert.match(await page.locator('[data-stat="Ack latency"] dd').innerText(), /p99/);
  await screenshot(page, 'hub');
  const light = await lowestContrast(page);
  assert.ok(light.ratio >= 4.5, JSON.stringify(light));
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await lowestContrast(page);
  assert.ok(dark.ratio >= 4.5, JSON.stringify(dark));
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(13, 17, 23)');
  await page.goto(hub.url + '/#/crab/local_system');
  await page.locator('figure.chart[data-unit="percent"][data-points]').waitFor();
  await screenshot(page, 'crab-dark');
  clean(page);
  await page.close();
});

test('a crab that disconnects turns offline in the list within 2 s', async () => {
  const crab = await hub.crab('web-edge-1', '200ms');
  const page = await chromium.page();
  await page.goto(hub.url + '/');
  const row = page.locator('tr[data-crab="web-edge-1"]');
  await until(async () => (await row.getAttribute('data-state')) === 'online', 5000, 'web-edge-1 online');
  const killed = Date.now();
  await crab.kill();
  await until(async () => (await row.getAttribute('data-state')) === 'offline', 2000, 'web-edge-1 offline');
  console.log(`offline shown ${Date.now() - killed} ms after kill -9`);
  clean(page);
  await page.close();
});

test('filter, sort and keyboard; the view is in the URL hash', async () => {
  await hub.push('db-main', [{ values: { cpu: 1 } }]);
  const page = await chromium.page();
  await page.goto(hub.url + '/#/?q=db');
  await page.locator('tr[data-crab="db-main"]').waitFor();
  assert.equal(await page.locator('tr[data-crab="local_system"]').count(), 0);
  await page.fill('input[type="search"]', '');
  await page.locator('tr[data-crab="local_system"]').waitFor();
  await page.getByRole('button', { name: /^Crab/ }).click();
  await until(async () => page.url().includes('sort=name%3Adesc'), 2000, 'sort in hash');
  const order = () => page.locator('tbody tr[data-crab]').evaluateAll((rows) => rows.map((r) => r.dataset.crab));
  await until(async () => (await order()).join() === [...(await order())].sort().reverse().join(), 2000, 'sorted by name, descending');
  const names = await order();
  assert.ok(names.length >= 3);
  await page.locator('tbody tr[data-crab]').first().focus();
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement.dataset.crab);
  assert.equal(focused, names[1]);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#/crab/${names[1]}`));
  await page.goto(hub.url + '/#/crab/local_system?w=1h');
  await page.locator('button[data-window="1h"][aria-pressed="true"]').waitFor();
  clean(page);
  await page.close();
});

test('a lost hub shows a banner; the page reconnects and resumes with no duplicate', async () => {
  const page = await chromium.page();
  await page.goto(hub.url + '/#/crab/local_system');
  const chart = page.locator('figure.chart[data-unit="percent"]');
  await until(async () => Number(await chart.getAttribute('data-points')) >= 2, 5000, 'points');
  await hub.kill();
  await page.locator('#banner[data-kind="lost"]').waitFor();
  assert.equal(await page.evaluate(() => document.body.dataset.link), 'lost');
  await screenshot(page, 'lost-hub');
  await hub.restart();
  await until(async () => (await page.evaluate(() => document.body.dataset.link)) === 'live', 10000, 'live again');
  const before = Number(await chart.getAttribute('data-points'));
  await until(async () => Number(await chart.getAttribute('data-points')) > before + 1, 5000, 'points after restart');
  const times = await page.evaluate(() => window.octopusApp.view.series.times);
  for (let i = 1; i < times.length; i += 1) assert.ok(times[i] > times[i - 1], `point ${i} repeats or goes back`);
  // The page's points are exactly the buffer's (both hold the whole run here).
  const buffer = (await hub.get('/v1/crabs/local_system/buffer')).json();
  const expected = buffer.map((e) => e.timestamp).filter((t) => t <= times[times.length - 1]);
  assert.deepEqual(times.slice(-expected.length), expected.slice(-times.length));
  page.errors = page.errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e));
  clean(page);
  await page.close();
});

test('a gap (the hub skipped events for this page) shows a banner', async () => {
  const page = await chromium.page();
  await page.goto(hub.url + '/');
  await page.locator('tr[data-crab="local_system"]').waitFor();
  await until(async () => (await page.evaluate(() => document.body.dataset.link)) === 'live', 5000, 'live');
  const burst = Array.from({ length: 1000 }, (_, i) => ({ values: { cpu: i % 100 } }));
  await hub.push('web-burst', burst);
  await page.locator('#banner[data-kind="gap"]').waitFor({ timeout: 5000 });
  assert.match(await page.locator('#banner').innerText(), /skipped \d+ event/);
  clean(page);
  await page.close();
});
