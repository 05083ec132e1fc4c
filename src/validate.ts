/**
 * Every JSON file we read goes through a zod schema: one message naming the
 * file and the first field that is wrong, e.g.
 * `…/checkpoint.json: field config.evalBatchSize: must be greater than 0`.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { UserError, errorMessage } from './errors';
import { readTextFile } from './fs/read';

const POSITIVE_INT = 'must be a whole number greater than 0';
const NON_NEGATIVE_INT = 'must be a whole number, 0 or more';
const POSITIVE_NUMBER = 'must be a number greater than 0';
const NON_NEGATIVE_NUMBER = 'must be a number, 0 or more';

/** Counts, from an option or a file alike: whole, and no larger than a double holds exactly. */
export const positiveIntSchema = z
  .number({ error: POSITIVE_INT })
  .int({ error: POSITIVE_INT })
  .positive({ error: POSITIVE_INT })
  .max(Number.MAX_SAFE_INTEGER, { error: POSITIVE_INT });
export const nonNegativeIntSchema = z
  .number({ error: NON_NEGATIVE_INT })
  .int({ error: NON_NEGATIVE_INT })
  .nonnegative({ error: NON_NEGATIVE_INT })
  .max(Number.MAX_SAFE_INTEGER, { error: NON_NEGATIVE_INT });
export const positiveNumberSchema = z
  .number({ error: POSITIVE_NUMBER })
  .positive({ error: POSITIVE_NUMBER })
  .finite({ error: POSITIVE_NUMBER });
export const nonNegativeNumberSchema = z
  .number({ error: NON_NEGATIVE_NUMBER })
  .nonnegative({ error: NON_NEGATIVE_NUMBER })
  .finite({ error: NON_NEGATIVE_NUMBER });

/**
 * A folder a run recorded in its files (its save dir, data or log folder): train writes each one
 * resolved, so anything else did not come from a run.
 */
export const recordedPathSchema = z
  .string()
  .min(1)
  .refine((p) => isAbsolute(p) && !p.includes('\0'), { error: 'must be an absolute path (as train records it)' });

/** `a.b[2]` for the path ['a', 'b', 2]. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** One issue in words (zod's default messages, made to read as a sentence part). */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  let value: unknown = input;
  for (const p of issue.path)
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p] : undefined;
  const msg = issue.message.replace(/^Invalid input: /, '');
  const said = msg.charAt(0).toLowerCase() + msg.slice(1);
  if (issue.code === 'invalid_type' && value === undefined && !said.startsWith('missing')) return `missing (${said})`;
  return said;
}

/** The first problem zod found, as `field x.y: what` (or just `what` for the whole document). */
export function describeZodError(error: z.ZodError, input: unknown): string {
  const issue = error.issues[0];
  const where = issue.path.length ? `field ${fieldPath(issue.path)}: ` : '';
  return where + describeIssue(issue, input);
}

/** Checks `value` against `schema`; a mismatch is a UserError naming `file` and the field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UserError(`${file}: ${describeZodError(parsed.error, value)}`);
  return parsed.data;
}

/**
 * A JSON text that fits `schema`, or undefined where it is not JSON or does not fit: for loose
 * reads whose failure only loses a hint or a guess (a torn log line, a marker of an older build).
 */
export function parseJsonOr<S extends z.ZodType>(text: string, schema: S): z.infer<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** As readJsonFile, but undefined where the file is missing, refused, not JSON or does not fit (loose reads). */
export function readJsonFileOr<S extends z.ZodType>(
  file: string,
  schema: S,
  maxBytes = 16 << 20,
): z.infer<S> | undefined {
  let text: string;
  try {
    text = readTextFile(file, maxBytes);
  } catch {
    return undefined;
  }
  return parseJsonOr(text, schema);
}

/** Reads a JSON file of at most `maxBytes` (a regular file only) and validates it. */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, maxBytes = 16 << 20): z.infer<S> {
  const text = readTextFile(file, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${errorMessage(err)})`);
  }
  return validate(schema, value, file);
}
