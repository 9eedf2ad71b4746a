import pc from 'picocolors';

/** A record as the API returns it. */
export interface Hit {
  id: string;
  timestamp: string;
  level: string;
  message: string;
  resourceId?: string;
  [field: string]: unknown;
}

export type Colors = ReturnType<typeof pc.createColors>;

/** Colours only for a terminal, and never when NO_COLOR is set or --no-color was given. */
export function colorsFor(stream: NodeJS.WriteStream, enabled: boolean): Colors {
  return pc.createColors(enabled && stream.isTTY === true && !('NO_COLOR' in process.env));
}

const LEVEL_WIDTH = 5;

function levelText(level: string, c: Colors): string {
  const text = level.toUpperCase().padEnd(LEVEL_WIDTH);
  switch (level) {
    case 'trace':
    case 'debug':
      return c.dim(text);
    case 'info':
      return c.green(text);
    case 'warn':
      return c.yellow(text);
    case 'error':
      return c.red(text);
    case 'fatal':
      return c.bold(c.inverse(c.red(text)));
    default:
      return text;
  }
}

/**
 * One line per record: time, level, resource, message. Control characters in log text are
 * shown escaped so a hostile message cannot move the cursor or recolour the terminal.
 */
export function formatLine(hit: Hit, c: Colors, width?: number): string {
  const resource = (hit.resourceId ?? '-').padEnd(12);
  let message = escapeControls(hit.message);
  const prefix = `${hit.timestamp}  ${' '.repeat(LEVEL_WIDTH)}  ${resource}  `;
  if (width && prefix.length + message.length > width)
    message = `${message.slice(0, Math.max(10, width - prefix.length - 1))}…`;
  return `${c.dim(hit.timestamp)}  ${levelText(hit.level, c)}  ${c.cyan(escapeControls(resource))}  ${message}`;
}

export function escapeControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) =>
    ch === '\t' ? '  ' : JSON.stringify(ch).slice(1, -1),
  );
}
