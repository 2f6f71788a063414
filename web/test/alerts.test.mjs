// An alert rule crossing its threshold shows in the alerts panel within 2 s and leaves it (to
// the recent-history list) within 2 s of resolving.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, browser, until, screenshot, lowestContrast } from './support.mjs';

const rules = `
[[rule]]
name = "web-cpu-hot"
crabs = "web-*"
when = "cpu > 90"
clear = "cpu < 80"
severity = "critical"
labels = { team = "web" }
`;
const hub = await Hub.start({ alerts: rules, localCrab: false });
const chromium = await browser();
after(async () => {
  await chromium.close();
  await hub.stop();
});

test('an alert fires into the panel and resolves out of it, each within 2 s', async () => {
  await hub.push('web-1', [{ values: { cpu: 10, memory: 40 } }]);
  const page = await chromium.page();
  await page.goto(`${hub.url}/#/alerts`);
  await page.locator('#no-alerts').waitFor();
  await until(async () => (await page.evaluate(() => document.body.dataset.link)) === 'live', 5000, 'live');

  const fired = Date.now();
  await hub.push('web-1', [{ values: { cpu: 97.5, memory: 41 } }]);
  const row = page.locator('table.alerts.active tr[data-rule="web-cpu-hot"][data-crab="web-1"]');
  await row.waitFor({ timeout: 2000 });
  const shown = Date.now() - fired;
  const text = await row.innerText();
  assert.match(text, /critical/);
  assert.match(text, /firing/);
  assert.match(text, /cpu > 90/);
  assert.match(text, /cpu 97\.5%/);
  assert.equal(await page.locator('#alert-count').innerText(), '1');
  await screenshot(page, 'alerts');
  for (const scheme of ['dark', 'light']) {
    await page.emulateMedia({ colorScheme: scheme });
    const lowest = await lowestContrast(page);
    assert.ok(lowest.ratio >= 4.5, `${scheme}: ${JSON.stringify(lowest)}`);
  }

  const cleared = Date.now();
  await hub.push('web-1', [{ values: { cpu: 5, memory: 41 } }]);
  await row.waitFor({ state: 'detached', timeout: 2000 });
  const gone = Date.now() - cleared;
  await page.locator('table.alerts.history tr[data-rule="web-cpu-hot"][data-state="resolved"]').waitFor({ timeout: 2000 });
  assert.equal(await page.locator('#alert-count').isHidden(), true);
  console.log(`alert shown ${shown} ms after the push, removed ${gone} ms after the resolving push`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an alert already firing when the page opens is listed from GET /v1/alerts', async () => {
  await hub.push('web-2', [{ values: { cpu: 99 } }]);
  await until(async () => (await hub.get('/v1/alerts')).json().some((a) => a.crab === 'web-2'), 2000, 'web-2 firing');
  const page = await chromium.page();
  await page.goto(`${hub.url}/#/alerts`);
  await page.locator('table.alerts.active tr[data-crab="web-2"][data-state="firing"]').waitFor({ timeout: 2000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});
