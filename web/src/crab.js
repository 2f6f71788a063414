// One crab: live charts of its values, keys grouped by unit (units.js), and a window picker.
// - 5 min: the crab's ring buffer, then live, through one subscription from "buffer";
// - 1 h, 24 h, 7 d: GET /v1/crabs/NAME/records with step and agg=avg, at most ~2,000 points per
//   key whatever the crab's rate, then live. The live subscription starts before the records
//   query, and events newer than its last point are appended, so nothing falls in between.
// Live points are appended in the next animation frame; points older than the window are cut
// off, so memory stays bounded however long the page stays open.

import uPlot from './uPlot.esm.js';
import { recordsUrl, getJson, snapshotTime } from './api.js';
import { el, clear } from './dom.js';
import { UNIT_TITLES, formatTick, formatValue, groupKeys, keyCompare, formatAge } from './units.js';

export const WINDOWS = {
  '5m': { seconds: 300, label: '5 min' },
  '1h': { seconds: 3600, step: 3, label: '1 h' },
  '24h': { seconds: 86400, step: 60, label: '24 h' },
  '7d': { seconds: 604800, step: 300, label: '7 d' },
};

let mounts = 0;

const PALETTE = ['#2f7ed8', '#e4572e', '#29a36a', '#a259c4', '#d4a017', '#17a2b8', '#c2185b', '#6d7b8d'];

// Points of one crab on a shared time axis; series[key][i] is null when snapshot i lacks key.
class Series {
  constructor() {
    this.times = [];
    this.values = new Map();
  }

  push(t, values) {
    const i = this.times.length;
    this.times.push(t);
    for (const [key, v] of Object.entries(values)) {
      if (typeof v !== 'number') continue;
      if (!this.values.has(key)) this.values.set(key, new Array(i).fill(null));
    }
    for (const [key, column] of this.values) {
      const v = values[key];
      column.push(typeof v === 'number' ? v : null);
    }
  }

  // Drops points before `since`, in one splice once they are a tenth of the data.
  trim(since) {
    let n = 0;
    while (n < this.times.length && this.times[n] < since) n += 1;
    if (n === 0 || (n < this.times.length / 10 && n < 1000)) return;
    this.times.splice(0, n);
    for (const column of this.values.values()) column.splice(0, n);
  }

  get last() {
    return this.times.length ? this.times[this.times.length - 1] : -Infinity;
  }
}

export class CrabView {
  constructor(app, name) {
    this.app = app;
    this.name = name;
    mounts += 1;
    this.sub = `crab:${name}:${mounts}`; // unique per view: stray events of the last one go nowhere
    this.charts = []; // {unit, keys, plot, box}
    this.latest = null;
  }

  mount(root, params) {
    this.windowId = WINDOWS[params.get('w')] ? params.get('w') : '5m';
    const picker = el('div', { class: 'picker', role: 'group', 'aria-label': 'Time window' });
    for (const [id, w] of Object.entries(WINDOWS)) {
      const b = el('button', { type: 'button', 'data-window': id, 'aria-pressed': String(id === this.windowId) }, w.label);
      b.addEventListener('click', () => this.app.setParams({ w: id }, true));
      picker.append(b);
    }
    this.status = el('span', { class: 'muted', id: 'crab-status' });
    this.chartsBox = el('div', { class: 'charts', id: 'charts' });
    this.valuesBody = el('tbody');
    root.append(
      el('div', { class: 'toolbar' }, el('a', { href: '#/', class: 'back' }, '← Crabs'), el('h1', {}, this.name), this.status, picker),
      this.chartsBox,
      el('h2', {}, 'Newest values'),
      el('table', { class: 'grid values', id: 'values' }, el('thead', {}, el('tr', {}, el('th', {}, 'Key'), el('th', {}, 'Value'))), this.valuesBody),
    );
    this.resize = () => this.fit();
    window.addEventListener('resize', this.resize);
    this.load();
  }

  unmount() {
    this.app.stream.unsubscribe(this.sub);
    window.removeEventListener('resize', this.resize);
    clearInterval(this.ageTimer);
    for (const c of this.charts) c.plot.destroy();
    this.charts = [];
  }

  async load() {
    const w = WINDOWS[this.windowId];
    this.series = new Series();
    this.pending = [];
    this.loaded = !w.step;
    this.status.textContent = 'loading…';
    this.app.stream.subscribe(this.sub, { crabs: [this.name], from: w.step ? 'now' : 'buffer' }, (events) => this.onEvents(events));
    this.ageTimer = setInterval(() => this.showAge(), 1000);
    if (!w.step) return;
    const now = Date.now() / 1000;
    this.query = recordsUrl(this.name, { since: now - w.seconds, step: w.step, agg: 'avg' });
    try {
      const answer = await getJson(this.query);
      for (const p of answer.points) this.series.push(p.t, p.values);
    } catch (e) {
      this.app.problem(`records of ${this.name}: ${e.message}`);
    }
    this.loaded = true;
    this.onEvents([]);
  }

  onEvents(events) {
    if (!this.loaded) {
      this.pending.push(...events);
      return;
    }
    for (const e of this.pending.splice(0).concat(events)) {
      const t = snapshotTime(e);
      if (t <= this.series.last && WINDOWS[this.windowId].step) continue;
      this.series.push(t, e.values || {});
      this.latest = e;
    }
    this.app.schedule(this);
  }

  render() {
    if (!this.chartsBox) return;
    this.series.trim(Date.now() / 1000 - WINDOWS[this.windowId].seconds);
    const keys = [...this.series.values.keys()].sort(keyCompare).join(',');
    if (keys !== this.chartKeys) this.build(keys);
    for (const c of this.charts) {
      c.plot.setData([this.series.times, ...c.keys.map((k) => this.series.values.get(k))]);
      c.box.dataset.points = String(this.series.times.length);
    }
    this.renderValues();
    this.showAge();
  }

  // One chart per unit group.
  build(keys) {
    for (const c of this.charts) c.plot.destroy();
    clear(this.chartsBox);
    this.charts = [];
    this.chartKeys = keys;
    if (!keys) {
      this.chartsBox.append(el('p', { class: 'muted' }, 'No numeric values in this window yet.'));
      return;
    }
    const style = getComputedStyle(document.documentElement);
    const ink = style.getPropertyValue('--muted').trim() || '#666';
    const grid = style.getPropertyValue('--grid').trim() || '#ddd';
    let colour = 0;
    const { seconds } = WINDOWS[this.windowId];
    for (const [unit, group] of groupKeys(keys.split(','))) {
      const box = el('figure', { class: 'chart', 'data-unit': unit }, el('figcaption', {}, UNIT_TITLES[unit]));
      this.chartsBox.append(box);
      const axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
      const plot = new uPlot(
        {
          width: this.width(),
          height: 220,
          // The whole window, however little of it holds data yet.
          scales: { x: { time: true, range: () => [Date.now() / 1000 - seconds, Date.now() / 1000] } },
          axes: [axis, { ...axis, size: unit === 'rate' || unit === 'bytes' ? 100 : 64, values: (u, ticks) => ticks.map((v) => formatTick(unit, v)) }],
          series: [
            {},
            ...group.map((key) => ({
              label: key,
              stroke: PALETTE[colour++ % PALETTE.length],
              width: 1.5,
              spanGaps: true,
              value: (u, v) => (v === null || v === undefined ? '-' : formatValue(key, v)),
            })),
          ],
        },
        [[], ...group.map(() => [])],
        box,
      );
      this.charts.push({ unit, keys: group, plot, box });
    }
  }

  width() {
    return Math.max(320, (this.chartsBox.clientWidth || 800) - 4);
  }

  fit() {
    for (const c of this.charts) c.plot.setSize({ width: this.width(), height: 220 });
  }

  renderValues() {
    const seed = this.app.crabs.rows.get(this.name);
    const values = (this.latest ? this.latest.values : seed && seed.values) || {};
    const keys = Object.keys(values).sort(keyCompare);
    clear(this.valuesBody);
    for (const k of keys) this.valuesBody.append(el('tr', {}, el('td', {}, k), el('td', {}, formatValue(k, values[k]))));
  }

  showAge() {
    const w = WINDOWS[this.windowId];
    const points = `${this.series.times.length} points over ${w.label}${w.step ? ` (${w.step} s buckets, then live)` : ''}`;
    const seed = this.app.crabs.rows.get(this.name);
    const at = this.latest ? this.latest.received_at : seed && seed.receivedAt;
    const age = at ? `newest ${formatAge(Date.now() / 1000 - at)} ago · ` : '';
    this.status.textContent = age + points;
  }
}
