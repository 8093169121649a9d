// Reading a Nomad request body as the agent's decodeBody does (json.NewDecoder(body).Decode): the
// first JSON value is decoded, whatever the Content-Type, and a body that is not JSON is a 400 whose
// text is Go's decoder error ("EOF" for an empty body, "invalid character 'a' looking for beginning
// of value", "unexpected EOF" for a truncated one).
import { NomadError } from './respond.ts';

const VALUE_START = '{["-0123456789tfn';

/** Go's error text for JSON that does not parse (close to encoding/json's wording). */
export function goJsonError(text: string, error: unknown): string {
  const trimmed = text.trimStart();
  if (trimmed === '') return 'EOF';
  const first = trimmed[0]!;
  if (!VALUE_START.includes(first))
    return `invalid character ${quoteChar(first)} looking for beginning of value`;
  const message = error instanceof Error ? error.message : '';
  if (/end of (JSON|data)|Unterminated/i.test(message)) return 'unexpected EOF';
  const position = /position (\d+)/.exec(message);
  if (position) {
    const at = Number(position[1]);
    const ch = text[at];
    if (ch === undefined) return 'unexpected EOF';
    return `invalid character ${quoteChar(ch)} after top-level value`;
  }
  return 'unexpected EOF';
}

function quoteChar(ch: string): string {
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  const code = ch.codePointAt(0)!;
  return code < 0x20 ? `'\\x${code.toString(16).padStart(2, '0')}'` : `'${ch}'`;
}

/** The body's JSON value, or NomadError 400 with Go's decoder text. */
export async function readNomadBody(request: Request): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NomadError(400, goJsonError(text, err));
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
