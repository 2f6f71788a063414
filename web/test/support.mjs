// What the browser tests share: the real octopus binaries on 127.0.0.1:0 in a temp dir, real
// octopus-crab processes, HTTP pushes, and headless Debian Chromium driven by playwright-core.
// Everything started here is stopped by stopAll() (and on exit), so no test leaves a process.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.OCTOPUS_BIN_DIR || path.resolve(here, '../../build/bin');
export const ARTIFACTS = process.env.OCTOPUS_ARTIFACTS || path.resolve(here, '../../build/web-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const children = new Set();
const dirs = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir() {
  const d = mkdtempSync(path.join(tmpdir(), 'octopus-web-'));
  dirs.push(d);
  return d;
}

// Resolves when `pattern` appears in the child's output; rejects on exit or after `ms`.
function waitOutput(child, pattern, ms = 10000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}:\n${out}`)), ms);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}:\n${out}`));
    });
  });
}

function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return child;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
}

export class Hub {
  // options: {config: TOML text, alerts: TOML text, tokens: path, localCrab: bool, port}
  static async start(options = {}) {
    const hub = new Hub(options);
    await hub.spawn(options.port || 0);
    return hub;
  }

  constructor(options) {
    this.options = options;
    this.dir = tempDir();
    this.data = path.join(this.dir, 'data');
    mkdirSync(this.data);
  }

  async spawn(port) {
    const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data', this.data];
    const o = this.options;
    if (o.config) {
      writeFileSync(path.join(this.dir, 'octopus.toml'), o.config);
      args.push('--config', path.join(this.dir, 'octopus.toml'));
    }
    if (o.alerts) {
      writeFileSync(path.join(this.dir, 'alerts.toml'), o.alerts);
      args.push('--alerts', path.join(this.dir, 'alerts.toml'));
    }
    if (o.tokens) args.push('--tokens', o.tokens);
    if (o.localCrab === false) args.push('--no-local-crab');
    this.child = track(spawn(path.join(BIN, 'octopus'), args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    const m = await waitOutput(this.child, /octopus listening on [^ ]+:(\d+)/);
    this.port = Number(m[1]);
    this.url = `http://127.0.0.1:${this.port}`;
  }

  async kill() {
    this.child.kill('SIGKILL');
    await exited(this.child);
  }

  // The same data dir and port, after kill().
  async restart() {
    await this.spawn(this.port);
  }

  async stop() {
    this.child.kill('SIGTERM');
    await exited(this.child);
  }

  async get(p, headers = {}) {
    const r = await fetch(this.url + p, { headers });
    const text = await r.text();
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  }

  // POST /v1/crabs/NAME/snapshots; items: [{seq?, timestamp?, values, tags?}]. Batches of 1000.
  async push(crab, items, headers = {}) {
    for (let i = 0; i < items.length; i += 1000) {
      const body = JSON.stringify({ type: 'snapshots', items: items.slice(i, i + 1000) });
      const r = await fetch(`${this.url}/v1/crabs/${crab}/snapshots`, { method: 'POST', body, headers });
      if (r.status !== 200) throw new Error(`push ${crab}: ${r.status} ${await r.text()}`);
    }
  }

  // A real octopus-crab process (a WebSocket crab sampling /proc).
  async crab(name, interval = '1s') {
    const child = track(
      spawn(path.join(BIN, 'octopus-crab'), ['--hub', `ws://127.0.0.1:${this.port}`, '--name', name, '--interval', interval], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    child.stdout.resume();
    child.stderr.resume();
    await until(async () => (await this.get(`/v1/crabs/${name}`)).status === 200 && (await this.get(`/v1/crabs/${name}`)).json().online, 10000, `${name} online`);
    return {
      child,
      kill: async () => {
        child.kill('SIGKILL');
        await exited(child);
      },
    };
  }

  // `octopus token add`: the token it prints once.
  static token(file, id, scopes) {
    const args = ['token', 'add', '--file', file, '--id', id];
    for (const s of scopes) args.push('--scope', s);
    return execFileSync(path.join(BIN, 'octopus'), args, { encoding: 'utf8' }).trim();
  }
}

// Polls `check` every 50 ms until it is truthy; fails after `ms`.
export async function until(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Headless Chromium with a page that records console errors and every request it makes.
export async function browser() {
  const b = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return {
    b,
    async page(viewport = { width: 1280, height: 800 }) {
      const page = await b.newPage({ viewport });
      page.errors = [];
      page.requests = [];
      page.on('console', (m) => {
        if (m.type() === 'error') page.errors.push(m.text());
      });
      page.on('pageerror', (e) => page.errors.push(e.message));
      page.on('request', (r) => page.requests.push(r.url()));
      return page;
    },
    close: () => b.close(),
  };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// n snapshots of `values(i)` one `every` seconds apart, the last one `endAgo` seconds ago.
export function history(n, every, values, endAgo = 1) {
  const end = Date.now() / 1000 - endAgo;
  const items = [];
  for (let i = 0; i < n; i += 1) items.push({ timestamp: Number((end - (n - 1 - i) * every).toFixed(3)), values: values(i) });
  return items;
}

// WCAG contrast of every visible text element against the background it sits on (the first
// opaque background up its ancestors), the lowest found.
export async function lowestContrast(page) {
  return page.evaluate(() => {
    const rgb = (c) => c.match(/[\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (node) => {
      for (let n = node; n; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c.length < 4 || c[3] > 0) return c;
      }
      return [255, 255, 255];
    };
    let lowest = { ratio: 21 };
    for (const node of document.querySelectorAll('body *')) {
      const text = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
      if (!text || !node.offsetParent) continue;
      const a = lum(rgb(getComputedStyle(node).color));
      const b = lum(background(node));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < lowest.ratio) lowest = { ratio, text: node.textContent.slice(0, 40), tag: node.tagName };
    }
    return lowest;
  });
}
