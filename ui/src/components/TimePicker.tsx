import { useState } from 'preact/hooks';
import { describeRange, PRESETS, parseTime, presetOf, type TimeRange } from '../time';

interface Props {
  range: TimeRange;
  onChange(range: TimeRange): void;
}

/**
 * Presets, or an absolute/relative range typed as the API takes it (`2023-09-10T00:00:00Z`,
 * `now-2h`). Relative ranges stay relative in the URL and are re-evaluated on every run.
 */
export function TimePicker({ range, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(range.from);
  const [to, setTo] = useState(range.to);
  const [problem, setProblem] = useState<string | null>(null);

  const toggle = () => {
    setFrom(range.from);
    setTo(range.to);
    setProblem(null);
    setOpen(!open);
  };

  const apply = (e: Event) => {
    e.preventDefault();
    const now = Date.now();
    const f = from.trim();
    const t = to.trim();
    if (f && parseTime(f, now) === null)
      return setProblem(`"${f}" is not a time: use 2023-09-10T00:00:00Z or now-15m`);
    if (t && parseTime(t, now) === null)
      return setProblem(`"${t}" is not a time: use 2023-09-15T23:59:59Z or now`);
    if (f && t && parseTime(f, now)! > parseTime(t, now)!) return setProblem('"From" is later than "To"');
    setOpen(false);
    onChange({ from: f, to: t });
  };

  const current = presetOf(range)?.key;
  return (
    <div class="timepicker">
      <button
        type="button"
        class="timepicker-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={toggle}
        title="Time range (UTC)"
      >
        {describeRange(range)} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div class="popover timepicker-popover" role="dialog" aria-label="Time range">
          <div class="presets">
            {PRESETS.map((p) => (
              <button
                type="button"
                key={p.key}
                class={p.key === current ? 'preset active' : 'preset'}
                onClick={() => {
                  setOpen(false);
                  onChange(p.range);
                }}
              >
                {p.label}
              </button>
            ))}
          </div>
          <form class="absolute-range" onSubmit={apply}>
            <label>
              From
              <input
                name="from"
                value={from}
                placeholder="2023-09-10T00:00:00Z or now-1h (empty: the beginning)"
                onInput={(e) => setFrom(e.currentTarget.value)}
              />
            </label>
            <label>
              To
              <input
                name="to"
                value={to}
                placeholder="2023-09-15T23:59:59Z or now (empty: now)"
                onInput={(e) => setTo(e.currentTarget.value)}
              />
            </label>
            {problem && (
              <p class="form-error" role="alert">
                {problem}
              </p>
            )}
            <div class="row">
              <span class="hint">Times are UTC. Relative times are re-evaluated on every refresh.</span>
              <button type="submit" class="primary">
                Apply
              </button>
            </div>
          </form>
        </div>
      )}
    </div>
  );
}
