import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type LogRecord } from './api';

export type TailStatus = 'off' | 'connecting' | 'live' | 'reconnecting';

/**
 * Live tail over Server-Sent Events. Records arriving in a burst are handed over once per frame;
 * EventSource reconnects by itself and resumes after the last id it saw (Last-Event-ID).
 */
export function useTail(enabled: boolean, q: string, onRecords: (records: LogRecord[]) => void): TailStatus {
  const [status, setStatus] = useState<TailStatus>('off');
  const handler = useRef(onRecords);
  handler.current = onRecords;

  useEffect(() => {
    if (!enabled) {
      setStatus('off');
      return;
    }
    setStatus('connecting');
    const es = new EventSource(api.tailUrl(q));
    let batch: LogRecord[] = [];
    let frame = 0;
    es.onopen = () => setStatus('live');
    es.onerror = () => {
      if (es.readyState !== EventSource.CLOSED) return setStatus('reconnecting');
      setStatus('off');
      // A stream refused for good (EventSource does not say why): perhaps the session ended.
      void api.sessionHolds();
    };
    es.addEventListener('record', (e) => {
      batch.push(JSON.parse((e as MessageEvent<string>).data) as LogRecord);
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        const out = batch;
        batch = [];
        handler.current(out);
      });
    });
    return () => {
      cancelAnimationFrame(frame);
      es.close();
    };
  }, [enabled, q]);

  return status;
}

export interface LiveTail {
  status: TailStatus;
  /** The user has scrolled down: new records wait instead of moving the rows being read. */
  away: boolean;
  setAway(away: boolean): void;
  pendingCount: number;
  /** Back to the top; the waiting records flow in. */
  resume(): void;
}

/**
 * Live tail as the results list uses it: records go to the top at once while the list is scrolled
 * to the top, and wait (counted) while the user has scrolled down to read.
 */
export function useLiveTail(
  enabled: boolean,
  q: string,
  prepend: (records: LogRecord[]) => void,
  scrollTo: (top: number) => void,
): LiveTail {
  const [away, setAway] = useState(false);
  const pending = useRef<LogRecord[]>([]);
  const [pendingCount, setPendingCount] = useState(0);

  const onRecords = useCallback(
    (records: LogRecord[]) => {
      if (!away) return prepend(records);
      pending.current.push(...records);
      setPendingCount(pending.current.length);
    },
    [away, prepend],
  );
  const status = useTail(enabled, q, onRecords);

  // A new stream starts from now: what waited for the old one belongs to another search.
  useEffect(() => {
    pending.current = [];
    setPendingCount(0);
  }, [enabled, q]);

  useEffect(() => {
    if (away || pending.current.length === 0) return;
    prepend(pending.current);
    pending.current = [];
    setPendingCount(0);
  }, [away]);

  const resume = () => {
    scrollTo(0);
    setAway(false);
  };
  return { status, away, setAway, pendingCount, resume };
}
