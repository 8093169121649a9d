/**
 * CSV lines (RFC 4180 quoting within one line) for the LocalFile source and sink. A quoted field may
 * hold the delimiter and doubled quotes, but not a line break: files are read line by line.
 */

export function parseCsvLine(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) {
          value += line.slice(i);
          i = line.length;
          break;
        }
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const next = line.indexOf(delimiter, i);
      // Text between a closing quote and the delimiter is kept, as lenient readers do.
      value += next === -1 ? line.slice(i) : line.slice(i, next);
      fields.push(value);
      if (next === -1) return fields;
      i = next + delimiter.length;
    } else {
      const next = line.indexOf(delimiter, i);
      if (next === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, next));
      i = next + delimiter.length;
    }
  }
}

/** One value as a CSV field: null is empty, objects are JSON, quoting only when needed. */
export function formatCsvField(value: unknown, delimiter: string): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  if (text.includes('"') || text.includes(delimiter) || text.includes('\n') || text.includes('\r')) {
    return `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}
