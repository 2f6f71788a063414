// The crab list: one row per crab the page may read, with its state, the age of its newest
// snapshot, its rate and its newest values in human units. Seeded from GET /v1/crabs and
// GET /v1/latest, then live from the page's subscription and lifecycle events; GET /v1/crabs
// is polled every 5 s for crabs that appear (HTTP pushers) and for counters. Rows are keyed
// and patched in place; rendering happens at most once per animation frame.

import { formatAge, formatRate, formatValue, keyCompare } from './units.js';
import { el, clear } from './dom.js';

const RATE_WINDOW_S = 10;
const STALE_MIN_S = 5;
const RENDER_EVERY_MS = 250;

// What the page knows about one crab.
class CrabRow {
  constructor(name) {
    this.name = name;
    this.online = false;
    this.receivedAt = 0; // hub clock, Unix seconds
    this.values = {};
    this.tags = {};
    this.arrivals = []; // received_at of the snapshots of the last RATE_WINDOW_S
    this.interval = 0; // typical seconds between snapshots, 0 unknown
    this.since = Date.now() / 1000; // when this page started counting arrivals
  }

  apply(envelope) {
    if (envelope.received_at < this.receivedAt) return;
    if (this.receivedAt) {
      const gap = envelope.received_at - this.receivedAt;
      this.interval = this.interval ? this.interval * 0.8 + gap * 0.2 : gap;
    }
    this.receivedAt = envelope.received_at;
    this.values = envelope.values || {};
    this.tags = envelope.tags || {};
    this.arrivals.push(envelope.received_at);
  }

  rate(now) {
    while (this.arrivals.length && this.arrivals[0] < now - RATE_WINDOW_S) this.arrivals.shift();
    return this.arrivals.length / Math.max(1, Math.min(RATE_WINDOW_S, now - this.since));
  }

  // online, stale (online but silent for 3 of its intervals, at least 5 s) or offline.
  state(now) {
    if (!this.online) return 'offline';
    const silentFor = now - this.receivedAt;
    const limit = Math.max(STALE_MIN_S, 3 * this.interval);
    return this.receivedAt && silentFor > limit ? 'stale' : 'online';
  }
}

const COLUMNS = [
  { id: 'name', title: 'Crab' },
  { id: 'state', title: 'State' },
  { id: 'age', title: 'Age' },
  { id: 'rate', title: 'Rate' },
  { id: 'values', title: 'Newest values', sortable: false },
  { id: 'tags', title: 'Tags', sortable: false },
];

export class CrabsView {
  constructor(app) {
    this.app = app;
    this.rows = new Map(); // name -> CrabRow
    this.dom = new Map(); // name -> {tr, cells}
    this.order = [];
    this.dirty = true;
  }

  row(name) {
    if (!this.rows.has(name)) this.rows.set(name, new CrabRow(name));
    return this.rows.get(name);
  }

  // Data, whatever view is shown: the app calls these.
  seed(list, latest) {
    for (const c of list) {
      const r = this.row(c.name);
      r.online = c.online;
    }
    for (const envelope of latest) this.row(envelope.crab).apply(envelope);
    this.changed();
  }

  refresh(list) {
    const names = new Set(list.map((c) => c.name));
    for (const name of [...this.rows.keys()]) if (!names.has(name)) this.rows.delete(name);
    for (const c of list) this.row(c.name).online = c.online;
    this.changed();
  }

  events(envelopes) {
    for (const e of envelopes) this.row(e.crab).apply(e);
    this.changed();
  }

  lifecycle(m) {
    const r = this.row(m.crab);
    if (m.event === 'online') r.online = true;
    if (m.event === 'offline') r.online = false;
    this.changed();
  }

  // At most four renders a second: 50 crabs at 1 Hz would otherwise redraw the table in
  // nearly every animation frame for a change of one row each time.
  changed() {
    this.dirty = true;
    if (!this.table || this.queued) return;
    const wait = Math.max(0, (this.lastRender || 0) + RENDER_EVERY_MS - performance.now());
    this.queued = setTimeout(() => {
      this.queued = 0;
      this.app.schedule(this);
    }, wait);
  }

  // The view.
  mount(root, params) {
    this.params = params;
    this.filter = el('input', {
      type: 'search',
      placeholder: 'Filter by name or tag',
      'aria-label': 'Filter crabs by name or tag',
      value: params.get('q') || '',
    });
    this.filter.addEventListener('input', () => {
      this.app.setParams({ q: this.filter.value || null });
      this.changed();
    });
    this.body = el('tbody');
    this.body.addEventListener('keydown', (e) => this.onKey(e));
    this.head = el('tr');
    this.table = el('table', { class: 'grid crabs', id: 'crabs' }, el('thead', {}, this.head), this.body);
    this.count = el('span', { class: 'muted', id: 'crab-count' });
    root.append(el('div', { class: 'toolbar' }, el('h1', {}, 'Crabs'), this.count, this.filter), this.table);
    this.dom.clear();
    this.order = [];
    this.renderHead();
    this.changed();
    this.timer = setInterval(() => this.changed(), 1000); // ages move on
  }

  unmount() {
    clearInterval(this.timer);
    clearTimeout(this.queued);
    this.queued = 0;
    this.table = null;
  }

  sortSpec() {
    const [col, dir] = (this.app.location().params.get('sort') || 'name:asc').split(':');
    return { col, dir: dir === 'desc' ? -1 : 1 };
  }

  renderHead() {
    clear(this.head);
    const { col, dir } = this.sortSpec();
    for (const c of COLUMNS) {
      const th = el('th', { scope: 'col' });
      if (c.sortable === false) {
        th.textContent = c.title;
      } else {
        const active = c.id === col;
        th.setAttribute('aria-sort', active ? (dir > 0 ? 'ascending' : 'descending') : 'none');
        const b = el('button', { class: 'sort', type: 'button' }, c.title + (active ? (dir > 0 ? ' ▲' : ' ▼') : ''));
        b.addEventListener('click', () => {
          const next = active && dir > 0 ? 'desc' : 'asc';
          this.app.setParams({ sort: `${c.id}:${next}` });
          this.renderHead();
          this.changed();
        });
        th.append(b);
      }
      this.head.append(th);
    }
  }

  visible(now) {
    const q = (this.filter.value || '').toLowerCase();
    const match = (r) =>
      !q ||
      r.name.toLowerCase().includes(q) ||
      Object.entries(r.tags).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(q));
    const { col, dir } = this.sortSpec();
    const rank = { online: 0, stale: 1, offline: 2 };
    const key = {
      name: (r) => r.name,
      state: (r) => rank[r.state(now)],
      age: (r) => (r.receivedAt ? now - r.receivedAt : Infinity),
      rate: (r) => r.rate(now),
    }[col] || ((r) => r.name);
    return [...this.rows.values()]
      .filter(match)
      .sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : 1) * dir;
      });
  }

  render() {
    if (!this.table || !this.dirty) return;
    this.dirty = false;
    this.lastRender = performance.now();
    const now = Date.now() / 1000;
    const shown = this.visible(now);
    this.count.textContent = `${shown.length} of ${this.rows.size}`;
    for (const name of [...this.dom.keys()]) {
      if (!this.rows.has(name)) {
        this.dom.get(name).tr.remove();
        this.dom.delete(name);
      }
    }
    const order = shown.map((r) => r.name);
    if (order.join('\n') !== this.order.join('\n')) {
      for (const d of this.dom.values()) d.tr.remove();
      for (const name of order) this.body.append(this.rowDom(name).tr);
      this.order = order;
    }
    for (const r of shown) this.patch(r, now);
    if (shown.length === 0 && !this.body.firstChild) this.body.append(this.emptyRow());
    else if (shown.length > 0) this.body.querySelector('.empty')?.remove();
  }

  emptyRow() {
    const text = this.rows.size ? 'No crab matches the filter.' : 'No crab has reported yet.';
    return el('tr', { class: 'empty' }, el('td', { colspan: String(COLUMNS.length) }, text));
  }

  rowDom(name) {
    if (!this.dom.has(name)) {
      const cells = {};
      const tr = el('tr', { tabindex: '0', 'data-crab': name, title: `Open ${name}` });
      for (const c of COLUMNS) {
        cells[c.id] = el('td', { class: `c-${c.id}` });
        tr.append(cells[c.id]);
      }
      cells.name.append(el('a', { href: `#/crab/${encodeURIComponent(name)}` }, name));
      tr.addEventListener('click', (e) => {
        if (e.target.tagName !== 'A') this.app.go(`#/crab/${encodeURIComponent(name)}`);
      });
      this.dom.set(name, { tr, cells });
    }
    return this.dom.get(name);
  }

  patch(r, now) {
    const { tr, cells } = this.dom.get(r.name);
    const state = r.state(now);
    set(cells.state, state);
    if (tr.dataset.state !== state) tr.dataset.state = state;
    set(cells.age, r.receivedAt ? formatAge(now - r.receivedAt) : '-');
    set(cells.rate, formatRate(r.rate(now)));
    const keys = Object.keys(r.values).sort(keyCompare);
    set(cells.values, keys.map((k) => `${k} ${formatValue(k, r.values[k])}`).join('  ·  '));
    set(cells.tags, Object.entries(r.tags).map(([k, v]) => `${k}=${v}`).join(' '));
  }

  // Arrow keys move between rows; Enter opens the crab.
  onKey(e) {
    const tr = e.target.closest('tr[data-crab]');
    if (!tr) return;
    if (e.key === 'Enter') this.app.go(`#/crab/${encodeURIComponent(tr.dataset.crab)}`);
    const next = e.key === 'ArrowDown' ? tr.nextElementSibling : e.key === 'ArrowUp' ? tr.previousElementSibling : null;
    if (next) {
      e.preventDefault();
      next.focus();
    }
  }
}

function set(cell, text) {
  if (cell.textContent !== text) cell.textContent = text;
}
