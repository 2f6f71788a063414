// The Web Bell: boot, routing, the shared subscription and the banner. Views (crabs.js,
// crab.js, alerts.js, hub.js) render into <main>; the page's state is in the URL hash
// (#/?q=web&sort=rate:desc, #/crab/NAME?w=24h, #/alerts, #/hub), so a view can be bookmarked.
// Rendering is batched: live messages mark views dirty and one animation frame renders them.

import { getJson, readableGlobs, token, HttpError } from './api.js';
import { Stream } from './stream.js';
import { CrabsView } from './crabs.js';
import { CrabView } from './crab.js';
import { Alerts } from './alerts.js';
import { HubPanel } from './hub.js';
import { el, clear } from './dom.js';

const POLL_MS = 5000;

// Main-thread cost of each rendered frame (message handling since the last frame, plus the
// render), kept for the browser test's budget: window.octopusPerf.
const perf = { frames: [], work: 0, messages: 0 };
window.octopusPerf = perf;

class App {
  constructor() {
    this.view = null;
    this.dirty = new Set();
    this.frame = 0;
    this.crabs = new CrabsView(this);
    this.alerts = new Alerts(this);
    this.main = document.getElementById('view');
    this.banner = document.getElementById('banner');
    this.link = document.getElementById('link');
  }

  async start() {
    let globs;
    try {
      globs = await readableGlobs();
    } catch (e) {
      if (e.status === 401 || e.status === 403) return this.login(e);
      this.say('warn', `The hub cannot be reached: ${e.message}. Retrying…`);
      setTimeout(() => this.start(), 2000);
      return undefined;
    }
    this.globs = globs;
    this.stream = new Stream();
    this.wire(this.stream);
    if (globs.length) {
      this.stream.subscribe('list', { crabs: globs, from: 'now' }, (events) => this.crabs.events(events));
      this.stream.subscribe('alerts', { alerts: true, crabs: globs, from: { alert_seq: 0 } }, (events) => this.alerts.events(events));
    }
    this.stream.connect();
    await this.poll(true);
    this.poller = setInterval(() => this.poll(false), POLL_MS);
    window.addEventListener('hashchange', () => this.route());
    this.route();
    return undefined;
  }

  wire(stream) {
    const measured = stream.dispatch.bind(stream);
    stream.dispatch = (m) => {
      const t0 = performance.now();
      measured(m);
      perf.work += performance.now() - t0;
      perf.messages += 1;
    };
    stream.on('crab', (m) => this.crabs.lifecycle(m));
    stream.on('status', (state, detail) => this.linkState(state, detail));
    stream.on('gap', (sub, m) => {
      const what = m.from_alert_seq ? `alert_seq ${m.from_alert_seq}–${m.to_alert_seq}` : `hub_seq ${m.from_hub_seq}–${m.to_hub_seq}`;
      this.say('gap', `This page fell behind: the hub skipped ${m.missed} event(s) (${what}).`, 15000);
    });
    stream.on('error', (m) => this.say('warn', `The hub refused a request of this page: ${m.code}: ${m.message}`, 15000));
  }

  // GET /v1/crabs, /v1/latest (first time) and /v1/alerts.
  async poll(first) {
    try {
      const baseline = this.alerts.baseline();
      const [list, latest, alerts] = await Promise.all([
        getJson('/v1/crabs'),
        first ? getJson('/v1/latest') : null,
        getJson('/v1/alerts'),
      ]);
      if (first) this.crabs.seed(list, latest);
      else this.crabs.refresh(list);
      this.alerts.seed(alerts, baseline);
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) this.login(e);
    }
  }

  linkState(state, detail) {
    document.body.dataset.link = state;
    this.link.textContent = { connecting: 'connecting…', live: 'live', lost: 'reconnecting…' }[state];
    this.link.className = `link ${state}`;
    if (state === 'lost' && detail === 0) {
      this.say('lost', `Lost the hub at ${new Date().toLocaleTimeString()}; reconnecting…`);
    } else if (state === 'live' && detail) {
      const away = ((Date.now() - detail) / 1000).toFixed(1);
      this.say('info', `Reconnected after ${away} s; resumed after the last event shown.`, 5000);
      this.poll(false);
    }
  }

  // One banner line; `ms` hides it after that long (0: until replaced).
  say(kind, text, ms = 0) {
    clearTimeout(this.bannerTimer);
    clear(this.banner);
    const close = el('button', { type: 'button', class: 'dismiss', 'aria-label': 'Dismiss' }, '×');
    close.addEventListener('click', () => {
      this.banner.hidden = true;
    });
    this.banner.append(el('span', {}, text), close);
    this.banner.className = `banner ${kind}`;
    this.banner.dataset.kind = kind;
    this.banner.hidden = false;
    if (ms) this.bannerTimer = setTimeout(() => (this.banner.hidden = true), ms);
  }

  problem(text) {
    this.say('warn', text, 15000);
  }

  alertCount(n) {
    const badge = document.getElementById('alert-count');
    badge.textContent = n ? String(n) : '';
    badge.hidden = !n;
  }

  // Renders every dirty view in the next animation frame. The measured cost includes uPlot's
  // drawing, which it runs in a microtask after setData.
  schedule(view) {
    this.dirty.add(view);
    if (this.frame) return;
    this.frame = requestAnimationFrame(async () => {
      const t0 = performance.now();
      this.frame = 0;
      const views = [...this.dirty];
      this.dirty.clear();
      for (const v of views) v.render();
      await null;
      const cost = perf.work + performance.now() - t0;
      perf.work = 0;
      perf.frames.push(cost);
      if (perf.frames.length > 5000) perf.frames.splice(0, 1000);
    });
  }

  // #/path?params
  location() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    return { path, params: new URLSearchParams(query || '') };
  }

  go(hash) {
    location.hash = hash;
  }

  // Changes parameters of the current view in place (no history entry); `remount` redraws it.
  setParams(changes, remount = false) {
    const { path, params } = this.location();
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) params.delete(k);
      else params.set(k, v);
    }
    const query = params.toString();
    history.replaceState(null, '', `#${path}${query ? `?${query}` : ''}`);
    if (remount) this.route();
  }

  route() {
    const { path, params } = this.location();
    if (this.view && this.view.unmount) this.view.unmount();
    clear(this.main);
    const crab = path.match(/^\/crab\/(.+)$/);
    if (crab) this.view = new CrabView(this, decodeURIComponent(crab[1]));
    else if (path === '/alerts') this.view = this.alerts;
    else if (path === '/hub') this.view = new HubPanel(this);
    else this.view = this.crabs;
    for (const a of document.querySelectorAll('[data-nav]')) {
      const on = a.dataset.nav === (crab ? 'crabs' : path.slice(1) || 'crabs');
      if (on) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.body.dataset.view = crab ? 'crab' : path.slice(1) || 'crabs';
    this.view.mount(this.main, params);
  }

  // Tokens are configured and this tab has none, or the hub refused it.
  login(error) {
    if (this.stream) this.stream.close();
    clearInterval(this.poller);
    const had = token.get();
    token.clear();
    clear(this.main);
    document.body.dataset.view = 'login';
    const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', required: '', 'aria-label': 'Read token' });
    const form = el(
      'form',
      { class: 'login', id: 'login' },
      el('h1', {}, 'This hub needs a token'),
      el('p', {}, had ? `The hub refused the token: ${error.message}.` : 'Paste a token with a read scope (octopus token add --scope "read:*"). It is kept for this tab only.'),
      el('label', { for: 'token' }, 'Token'),
      input,
      el('button', { type: 'submit' }, 'Open the dashboard'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      token.set(input.value.trim());
      location.reload();
    });
    this.main.append(form);
    input.focus();
  }
}

const app = new App();
window.octopusApp = app;
app.start();
