import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type Histogram as HistogramData, LEVELS, type Level } from '../api';
import { bucketAxis } from '../histogram-axis';

interface Props {
  data: HistogramData | null;
  loading: boolean;
  theme: string;
  /** A dragged selection, in ms: the new absolute time range. */
  onZoom(fromMs: number, toMs: number): void;
}

/** Canvas can't read CSS variables by itself: the level colours come from the theme's stylesheet. */
function levelColours(): Record<Level, string> {
  const css = getComputedStyle(document.documentElement);
  return Object.fromEntries(
    LEVELS.map((l) => [l, css.getPropertyValue(`--level-${l}`).trim() || '#888']),
  ) as Record<Level, string>;
}

/**
 * Matches over time, stacked by level, drawn by uPlot. Drag across it to zoom into that range.
 *
 * uPlot has no stacking of its own: each series is the running sum up to its level, drawn from the
 * top of the stack down so every level's band shows its own colour. The API omits empty buckets;
 * they are filled with zeros so the bars keep their place on the time axis.
 */
export function Histogram({ data, loading, theme, onZoom }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const readout = useRef<HTMLSpanElement>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;

  useEffect(() => {
    const host = el.current;
    if (!host || !data || data.buckets.length === 0) return; // nothing to draw: no empty axes either
    const step = data.intervalMs;
    const xs = bucketAxis(Date.parse(data.from), Date.parse(data.to), step);
    const index = new Map(xs.map((t, i) => [t, i]));
    const raw = LEVELS.map(() => new Array<number>(xs.length).fill(0));
    for (const b of data.buckets) {
      const i = index.get(Date.parse(b.ts));
      if (i === undefined) continue;
      LEVELS.forEach((l, li) => {
        raw[li]![i] = b.counts[l] ?? 0;
      });
    }
    // Running sums, trace at the bottom of the stack, fatal on top.
    const stacked = raw.map((_, li) =>
      xs.map((__, i) => raw.slice(0, li + 1).reduce((n, r) => n + r[i]!, 0)),
    );
    const colours = levelColours();
    const order = [...LEVELS.keys()].reverse();
    const bars = uPlot.paths.bars!({ size: [0.9, 64], align: 1 });
    const axisColour =
      getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#888';
    const gridColour =
      getComputedStyle(document.documentElement).getPropertyValue('--grid').trim() || '#8883';

    const opts: uPlot.Options = {
      width: host.clientWidth || 800,
      height: 120,
      ms: 1,
      tzDate: (ts) => uPlot.tzDate(new Date(ts), 'Etc/UTC'),
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        // The axis's own buckets (uPlot would stretch one point to a day), one step past the last:
        // bars are drawn to the right of their time and would be cut off.
        x: { time: true, range: () => [xs[0]!, xs[xs.length - 1]! + step] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        {
          stroke: axisColour,
          grid: { stroke: gridColour, width: 1 },
          ticks: { show: false },
          // Room for a label of seconds ("10:00:05") between ticks: uPlot's default spacing let
          // neighbouring labels run into each other at second-wide buckets.
          space: 80,
          values: timeLabels,
        },
        { stroke: axisColour, grid: { stroke: gridColour, width: 1 }, ticks: { show: false }, size: 48 },
      ],
      series: [
        {},
        ...order.map((li) => ({
          label: LEVELS[li],
          fill: colours[LEVELS[li]!],
          stroke: colours[LEVELS[li]!],
          width: 0,
          paths: bars,
          points: { show: false },
        })),
      ],
      hooks: {
        // The bucket under the pointer, in words (textContent: plain text, as everywhere).
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            const out = readout.current;
            if (!out) return;
            if (i === null || i === undefined || xs[i] === undefined) {
              out.textContent = '';
              return;
            }
            const parts = LEVELS.map((l, li) => [l, raw[li]![i]!] as const).filter(([, n]) => n > 0);
            const total = parts.reduce((n, [, c]) => n + c, 0);
            out.textContent = `${new Date(xs[i]!).toISOString().slice(0, 16).replace('T', ' ')} · ${total.toLocaleString('en')}${
              parts.length ? ` (${parts.map(([l, n]) => `${n.toLocaleString('en')} ${l}`).join(', ')})` : ''
            }`;
          },
        ],
        setSelect: [
          (u) => {
            const { left, width } = u.select;
            if (width < 3) return;
            const from = u.posToVal(left, 'x');
            const to = u.posToVal(left + width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current(Math.floor(from), Math.ceil(to));
          },
        ],
      },
    };
    const series = [xs, ...order.map((li) => stacked[li]!)];
    plot.current?.destroy();
    plot.current = new uPlot(opts, series as uPlot.AlignedData, host);
    host.title = tooltip(data);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [data, theme]);

  // uPlot draws at a fixed size: follow the container's width.
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: host.clientWidth, height: 120 }));
    ro.observe(host);
    return () => ro.disconnect();
  }, []);

  return (
    <section class={`histogram${loading ? ' is-loading' : ''}`} aria-label="Matches over time">
      <div
        ref={el}
        class={`histogram-plot${data && data.buckets.length === 0 ? ' is-empty' : ''}`}
        data-testid="histogram"
      />
      {data && data.buckets.length > 0 && (
        <ul class="histogram-legend" aria-label="Levels">
          {LEVELS.map((l) => (
            <li key={l}>
              <span class={`swatch level-${l}`} aria-hidden="true" />
              {l}
            </li>
          ))}
          <li class="hint">drag to zoom</li>
          <li class="histogram-readout">
            <span ref={readout} />
          </li>
        </ul>
      )}
    </section>
  );
}

/** 24-hour UTC labels, with the date where it changes (uPlot's defaults are 12-hour, local). */
function timeLabels(_u: uPlot, splits: number[]): string[] {
  const step = splits.length > 1 ? splits[1]! - splits[0]! : 86_400_000;
  let lastDay = '';
  return splits.map((ms) => {
    const iso = new Date(ms).toISOString();
    const day = iso.slice(5, 10);
    if (step >= 86_400_000) return step >= 28 * 86_400_000 ? iso.slice(0, 7) : day;
    const time = step >= 60_000 ? iso.slice(11, 16) : iso.slice(11, 19);
    const label = day !== lastDay ? `${time}\n${day}` : time;
    lastDay = day;
    return label;
  });
}

function tooltip(data: HistogramData): string {
  const per =
    data.intervalMs >= 86_400_000 ? `${data.intervalMs / 86_400_000} d` : `${data.intervalMs / 1000} s`;
  return `One bar per ${per}. Drag across the chart to zoom into a time range.`;
}
