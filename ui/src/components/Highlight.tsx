import { splitMatches } from '../query';

/**
 * Log text with the query's matches marked. The text is split into pieces rendered as text
 * children, so whatever a log line contains (`<script>`, `<img onerror>`) stays characters on the
 * screen; nothing here ever goes through innerHTML.
 */
export function Highlight({ text, pattern }: { text: string; pattern: RegExp | null }) {
  return <>{splitMatches(text, pattern).map((s, i) => (s.hit ? <mark key={i}>{s.text}</mark> : s.text))}</>;
}
