import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { LogRecord } from '../api';
import { copyText } from '../storage';
import { Highlight } from './Highlight';

interface Props {
  record: LogRecord;
  pattern: RegExp | null;
  onFilter(field: string, value: unknown, mode: 'for' | 'out'): void;
  onContext(id: string): void;
}

/** Fields never offered as filters: `id` is unique (use context instead). */
const NO_FILTER = new Set(['id']);

/** An expanded record: every field as a tree and as JSON, copy buttons, filters, context. */
export function RecordDetail({ record, pattern, onFilter, onContext }: Props) {
  const [tab, setTab] = useState<'tree' | 'json'>('tree');
  const [copied, setCopied] = useState<string | null>(null);
  const json = JSON.stringify(record, null, 2);

  const copy = async (what: string, text: string) => {
    setCopied((await copyText(text)) ? what : null);
    setTimeout(() => setCopied(null), 1500);
  };

  return (
    <div class="detail">
      <div class="detail-bar">
        <div role="tablist" aria-label="Record view">
          <button type="button" role="tab" aria-selected={tab === 'tree'} onClick={() => setTab('tree')}>
            Fields
          </button>
          <button type="button" role="tab" aria-selected={tab === 'json'} onClick={() => setTab('json')}>
            JSON
          </button>
        </div>
        <div class="detail-actions">
          <button type="button" onClick={() => copy('json', JSON.stringify(record))}>
            {copied === 'json' ? 'Copied ✓' : 'Copy JSON'}
          </button>
          <button type="button" onClick={() => copy('message', record.message)}>
            {copied === 'message' ? 'Copied ✓' : 'Copy message'}
          </button>
          <button type="button" class="primary" onClick={() => onContext(record.id)}>
            Surrounding records
          </button>
        </div>
      </div>
      {tab === 'tree' ? (
        <table class="tree">
          <tbody>
            <Tree value={record} path={[]} pattern={pattern} onFilter={onFilter} />
          </tbody>
        </table>
      ) : (
        <pre class="json" data-testid="record-json">
          {json}
        </pre>
      )}
    </div>
  );
}

interface TreeProps {
  value: unknown;
  path: string[];
  pattern: RegExp | null;
  onFilter: Props['onFilter'];
}

/** One table row per leaf, indented by depth; objects nest, arrays are leaves (they filter as JSON). */
function Tree({ value, path, pattern, onFilter }: TreeProps) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return (
      <>
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => {
          const p = [...path, k];
          const nested = v !== null && typeof v === 'object' && !Array.isArray(v);
          return nested ? (
            <Fragment key={p.join('.')}>
              <tr class="tree-branch">
                <th style={{ paddingLeft: `${0.5 + path.length}rem` }}>{k}</th>
                <td />
                <td />
              </tr>
              <Tree value={v} path={p} pattern={pattern} onFilter={onFilter} />
            </Fragment>
          ) : (
            <Leaf key={p.join('.')} path={p} value={v} pattern={pattern} onFilter={onFilter} />
          );
        })}
      </>
    );
  }
  return null;
}

function Leaf({
  path,
  value,
  pattern,
  onFilter,
}: { path: string[]; value: unknown } & Omit<TreeProps, 'value' | 'path'>) {
  const field = path.join('.');
  const key = path[path.length - 1]!;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const filterable = !NO_FILTER.has(field) && value !== '';
  return (
    <tr data-field={field}>
      <th style={{ paddingLeft: `${0.5 + path.length - 1}rem` }} title={field}>
        {key}
      </th>
      <td class={`value ${typeof value}`}>
        {field === 'message' ? <Highlight text={text} pattern={pattern} /> : text}
      </td>
      <td class="leaf-actions">
        {filterable && (
          <>
            <button
              type="button"
              class="icon"
              title={`Filter for ${field} = this value`}
              aria-label={`Filter for ${field}`}
              onClick={() => onFilter(field, value, 'for')}
            >
              ⊕
            </button>
            <button
              type="button"
              class="icon"
              title={`Filter out ${field} = this value`}
              aria-label={`Filter out ${field}`}
              onClick={() => onFilter(field, value, 'out')}
            >
              ⊖
            </button>
          </>
        )}
        <button
          type="button"
          class="icon"
          title="Copy value"
          aria-label={`Copy ${field}`}
          onClick={() => copyText(text)}
        >
          copy
        </button>
      </td>
    </tr>
  );
}
