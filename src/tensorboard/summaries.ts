/** Summary values as TensorBoard's plugins read them: scalars, PNG images and Markdown text. */
import { DT_STRING, SummaryValue } from './proto';

export function scalar(tag: string, value: number): SummaryValue {
  return { tag, simpleValue: value };
}

/** A PNG image (`channels`: 1 grey, 3 RGB, 4 RGBA), shown by the Images dashboard. */
export function image(
  tag: string,
  png: Uint8Array,
  size: { width: number; height: number; channels: number },
): SummaryValue {
  return {
    tag,
    image: { width: size.width, height: size.height, colorspace: size.channels, encodedImageString: png },
  };
}

/** Markdown (tables included), shown by the Text dashboard: a scalar string tensor of the text plugin. */
export function text(tag: string, markdown: string): SummaryValue {
  return {
    tag,
    metadata: { pluginData: { pluginName: 'text' } },
    tensor: { dtype: DT_STRING, tensorShape: {}, stringVal: [Buffer.from(markdown, 'utf8')] },
  };
}

/** The tag of the settings a training run writes first into each of its event files. */
export const SETTINGS_TAG = 'settings';

/** A Markdown table of [name, value] rows, with the characters that would break it escaped. */
export function markdownTable(header: [string, string], rows: Array<[string, string]>): string {
  return [markdownRow(header), '| --- | --- |', ...rows.map(markdownRow)].join('\n');
}

/** One row of such a table. */
export function markdownRow([name, value]: [string, string]): string {
  const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return `| ${cell(name)} | ${cell(value)} |`;
}
