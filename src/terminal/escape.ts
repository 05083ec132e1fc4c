/**
 * The output policy: text that came from a file, a file name or the network
 * is shown with its control characters made visible, so that none reaches the
 * terminal as a command (ANSI/OSC escape sequences start with ESC or a C1
 * code) or forges a line of output (a newline or carriage return in a file
 * name). Applied where lines are printed (StatusLine.print), so no caller can
 * forget it; --json output is JSON-escaped already and does not pass here.
 */

/** C0 controls, DEL, C1 controls, and the Unicode marks that reorder text on screen (bidi overrides). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** `text` with every unsafe character written as an escape: `\n`, `\e`, `\x07`, `\u202e`. */
export function visible(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
  });
}
