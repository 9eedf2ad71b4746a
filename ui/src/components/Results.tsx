import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { LogRecord } from '../api';
import { formatTs } from '../time';
import { useVirtualizer } from '../virtual';
import { Highlight } from './Highlight';
import { RecordDetail } from './RecordDetail';

interface Props {
  rows: LogRecord[];
  hasMore: boolean;
  loadingMore: boolean;
  dataAt: number;
  pattern: RegExp | null;
  selected: string | null;
  onSelect(id: string | null): void;
  onLoadMore(): void;
  onFilter(field: string, value: unknown, mode: 'for' | 'out'): void;
  onContext(id: string): void;
  /** Live tail: told whether the user is at the top (new records flow in) or has scrolled away. */
  onScrolledAway(away: boolean): void;
  scrollRef: { current: HTMLElement | null };
}

const ROW_HEIGHT = 28;
/** Summaries show the start of long messages; the expanded record has all of it. */
const SUMMARY_CHARS = 400;

/**
 * The results, newest first, virtualised: only the rows in view (plus a few) are in the DOM, so
 * tens of thousands of loaded rows scroll as smoothly as fifty. Scrolling near the end asks for the
 * next page through the cursor.
 */
export function Results(props: Props) {
  const { rows, hasMore, loadingMore, dataAt, pattern, selected } = props;
  const scrollEl = useRef<HTMLElement | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.length + (hasMore ? 1 : 0),
    getScrollElement: () => scrollEl.current,
    estimateSize: (i) => (rows[i]?.id === selected ? 320 : ROW_HEIGHT),
    getItemKey: (i) => rows[i]?.id ?? 'more',
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();

  const last = items[items.length - 1];
  useEffect(() => {
    if (last && hasMore && !loadingMore && last.index >= rows.length - 30) props.onLoadMore();
  }, [last?.index, hasMore, loadingMore, rows.length]);

  // The render budget: from data arriving to the rows being laid out on screen.
  useLayoutEffect(() => {
    if (!dataAt) return;
    requestAnimationFrame(() => {
      performance.measure('sawmill:render', {
        start: dataAt,
        end: performance.now(),
        detail: { rows: rows.length },
      });
    });
  }, [dataAt]);

  return (
    <section
      class="results"
      aria-label="Results"
      data-rows={rows.length}
      ref={(el) => {
        scrollEl.current = el;
        props.scrollRef.current = el;
      }}
      onScroll={(e) => props.onScrolledAway(e.currentTarget.scrollTop > 4)}
    >
      <div class="results-head" aria-hidden="true">
        <span>Time (UTC)</span>
        <span>Level</span>
        <span>Resource</span>
        <span>Message</span>
      </div>
      <div class="results-body" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {items.map((item) => {
          const r = rows[item.index];
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              class="vrow"
              style={{ transform: `translateY(${item.start}px)` }}
            >
              {r ? (
                <Row
                  record={r}
                  pattern={pattern}
                  open={r.id === selected}
                  onToggle={() => props.onSelect(r.id === selected ? null : r.id)}
                  onFilter={props.onFilter}
                  onContext={props.onContext}
                />
              ) : (
                <div class="row-more">{loadingMore ? 'Loading more…' : 'Scroll for more'}</div>
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}

interface RowProps {
  record: LogRecord;
  pattern: RegExp | null;
  open: boolean;
  onToggle(): void;
  onFilter: Props['onFilter'];
  onContext: Props['onContext'];
}

function Row({ record: r, pattern, open, onToggle, onFilter, onContext }: RowProps) {
  const message = r.message.length > SUMMARY_CHARS ? `${r.message.slice(0, SUMMARY_CHARS)}…` : r.message;
  return (
    <div class={`record${open ? ' open' : ''}`} data-id={r.id}>
      <button type="button" class="record-summary" aria-expanded={open} onClick={onToggle}>
        <span class="ts">{formatTs(r.timestamp)}</span>
        <span class={`level level-${r.level}`}>{r.level}</span>
        <span class="resource">{r.resourceId ?? ''}</span>
        <span class="message">
          <Highlight text={message} pattern={pattern} />
        </span>
      </button>
      {open && <RecordDetail record={r} pattern={pattern} onFilter={onFilter} onContext={onContext} />}
    </div>
  );
}
