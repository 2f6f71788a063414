// With tokens configured: no token, no data (the page asks for one); a read:web-* token shows
// only web-* crabs, on the list, the live subscription and the alerts; the token never appears
// in a URL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Hub, browser, until, tempDir } from './support.mjs';

const file = path.join(tempDir(), 'tokens.toml');
const pusher = Hub.token(file, 'pusher', ['push:*']);
const reader = Hub.token(file, 'web-reader', ['read:web-*']);
const hub = await Hub.start({ tokens: file, localCrab: false });
const chromium = await browser();
const auth = { Authorization: `Bearer ${pusher}` };
after(async () => {
  await chromium.close();
  await hub.stop();
});

test('without a token the page gets no data and asks for one', async () => {
  await hub.push('web-1', [{ values: { cpu: 11 } }], auth);
  await hub.push('db-1', [{ values: { cpu: 22 } }], auth);
  const page = await chromium.page();
  const answers = [];
  page.on('response', (r) => answers.push([new URL(r.url()).pathname, r.status()]));
  await page.goto(hub.url + '/');
  await page.locator('form#login').waitFor();
  assert.equal(await page.locator('tr[data-crab]').count(), 0);
  const data = answers.filter(([p]) => p.startsWith('/v1/'));
  assert.ok(data.length > 0);
  for (const [p, status] of data) assert.equal(status, 401, `${p} answered ${status}`);
  await page.close();
});

test('a read:web-* token shows web-* crabs only, live, and stays out of URLs', async () => {
  const page = await chromium.page();
  await page.goto(hub.url + '/');
  await page.locator('form#login').waitFor();
  await page.fill('#token', reader);
  await page.click('form#login button[type="submit"]');
  await page.locator('tr[data-crab="web-1"]').waitFor();
  await until(async () => (await page.evaluate(() => document.body.dataset.link)) === 'live', 5000, 'live');
  assert.equal(await page.locator('tr[data-crab="db-1"]').count(), 0);
  await hub.push('web-1', [{ values: { cpu: 55.5 } }], auth);
  await hub.push('db-1', [{ values: { cpu: 66.5 } }], auth);
  const values = page.locator('tr[data-crab="web-1"] td.c-values');
  await until(async () => (await values.innerText()).includes('55.5%'), 2000, 'live value');
  assert.equal(await page.locator('tr[data-crab="db-1"]').count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('octopus.token')), reader);
  for (const u of page.requests) assert.ok(!u.includes(reader), `token in ${u}`);
  await page.goto(hub.url + '/#/hub');
  await page.locator('#hub-problem').waitFor();
  assert.match(await page.locator('#hub-problem').innerText(), /metrics scope/);
  await page.close();
});
