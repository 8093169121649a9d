// Reading a Zeta request body as its handlers do: an empty body is `Request body is empty.`, text
// that is no JSON (or not the JSON kind the route takes) is `Invalid JSON format in request body.`,
// both 400. Zeta reads bodies with Jackson, which keeps a 64-bit job id exact; JSON.parse would round
// 733584788375666689 to ...700, so integers past 2^53 are read as their digits (a string) instead.
import { badRequest } from './respond.ts';

export const EMPTY_BODY = 'Request body is empty.';
export const INVALID_JSON = 'Invalid JSON format in request body.';

/** Quotes every integer literal outside strings that a double cannot hold exactly. */
export function quoteBigIntegers(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      const token = match?.[0] ?? c;
      const exact = !match?.[1] && !match?.[2] && !Number.isSafeInteger(Number(token));
      out += exact && match ? `"${token}"` : token;
      i += token.length;
      continue;
    }
    out += c;
    i += 1;
  }
  return out;
}

/** The body as JSON of the kind the route takes (an object or an array). */
export async function readJson(request: Request, kind: 'object' | 'array'): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') throw badRequest(EMPTY_BODY);
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteBigIntegers(text));
  } catch {
    throw badRequest(INVALID_JSON);
  }
  const isArray = Array.isArray(parsed);
  const isObject = typeof parsed === 'object' && parsed !== null && !isArray;
  if ((kind === 'array' && !isArray) || (kind === 'object' && !isObject)) throw badRequest(INVALID_JSON);
  return parsed;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
