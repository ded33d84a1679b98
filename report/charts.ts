// Line charts as inline SVG, for pages that must work without a network (no chart library): one
// figure per chart, a polyline and a circle per point for each series, axes with a few ticks. Every
// point carries its numbers as data attributes (data-series, data-x, data-value and whatever the
// caller adds), so a test in a browser reads the figures the chart was drawn from.
// Sources: SVG 1.1 (https://www.w3.org/TR/SVG11/: svg, polyline, circle, text, title).

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One point: its position (x in the caller's unit), its hover text and extra data attributes. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly label: string;
  readonly data?: Readonly<Record<string, string | number>>;
}

/** One line of a chart. */
export interface ChartSeries {
  /** Its key (data-series) and its name in the legend. */
  readonly name: string;
  readonly colour: string;
  /** Draw the line dashed (so that series that coincide stay apart to the eye). */
  readonly dashed?: boolean;
  readonly points: readonly ChartPoint[];
}

/** What a chart shows. */
export interface LineChart {
  /** The id of the figure element. */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Labels on the x axis at these positions (default: the ends of the range). */
  readonly xTicks?: ReadonlyArray<{ readonly x: number; readonly label: string }>;
  /** The top of the y axis (default: the largest value, at least 1). */
  readonly yMax?: number;
  /** The left end of the x axis, when below the smallest x (a time axis from 0, say). */
  readonly xMin?: number;
}

const W = 640;
const H = 240;
const M = { left: 56, right: 16, top: 12, bottom: 40 };

/** A short number for an axis: 1200 → 1.2k, 3500000 → 3.5M. */
function short(n: number): string {
  const a = Math.abs(n);
  const r = (v: number): string => String(Math.round(v * 10) / 10);
  return a >= 1e6 ? `${r(n / 1e6)}M` : a >= 1e4 ? `${r(n / 1e3)}k` : r(n);
}

/** The chart as a <figure> holding an inline <svg>. */
export function lineChart(c: LineChart): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = c.series.flatMap((s) => s.points.map((p) => p.y));
  const x0 = Math.min(...xs, ...(c.xMin !== undefined || xs.length === 0 ? [c.xMin ?? 0] : []));
  const x1 = xs.length > 0 ? Math.max(...xs) : 1;
  const yTop = Math.max(1, c.yMax ?? 0, ...ys);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number): number => M.left + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const py = (y: number): number => M.top + ph - (y / yTop) * ph;
  const f = (v: number): string => v.toFixed(1);
  const yTicks = [0, yTop / 2, yTop].map((v) => `<line x1="${M.left - 4}" x2="${W - M.right}" y1="${f(py(v))}" y2="${f(py(v))}" stroke="#e0e0e0"/>` +
    `<text x="${M.left - 6}" y="${f(py(v) + 4)}" text-anchor="end">${esc(short(v))}</text>`).join('');
  const ticks = c.xTicks ?? (xs.length > 0 ? [...new Set([x0, x1])].map((x) => ({ x, label: short(x) })) : []);
  const xTicks = ticks.map((t) => `<text x="${f(px(t.x))}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(t.label)}</text>`).join('');
  const lines = c.series.map((s) => {
    const pts = s.points.map((p) => `${f(px(p.x))},${f(py(p.y))}`).join(' ');
    const dots = s.points.map((p, i) => {
      const data = Object.entries(p.data ?? {}).map(([k, v]) => ` data-${esc(k)}="${esc(String(v))}"`).join('');
      return `<circle class="point" data-series="${esc(s.name)}" data-index="${i}" data-x="${p.x}" data-value="${p.y}"${data} cx="${f(px(p.x))}" cy="${f(py(p.y))}" r="3.5" fill="${s.colour}"><title>${esc(p.label)}</title></circle>`;
    }).join('');
    return `<g class="series" data-series="${esc(s.name)}"><polyline points="${pts}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>${dots}</g>`;
  }).join('\n');
  const legend = c.series.map((s) => `<span class="legend"><span class="swatch" style="background:${s.colour}"></span>${esc(s.name)}</span>`).join(' ');
  return `<figure class="chart" id="${esc(c.id)}"><figcaption>${esc(c.title)} ${legend}</figcaption>
<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(c.title)}" font-size="11" font-family="system-ui,sans-serif">
<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#999"/><line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#999"/>
${yTicks}${xTicks}
<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">${esc(c.xLabel)}</text><text x="12" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 12 ${M.top + ph / 2})">${esc(c.yLabel)}</text>
${lines}
</svg></figure>`;
}

/** The style rules the charts need, for a page's <style>. */
export const CHART_CSS = 'figure.chart{margin:12px 0} figure.chart figcaption{font-weight:bold;margin-bottom:4px} .legend{font-weight:normal;margin-left:10px;font-size:12px} .swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}';
