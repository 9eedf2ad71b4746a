import { useEffect, useRef, useState } from 'preact/hooks';
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
    es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? 'off' : 'reconnecting');
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
