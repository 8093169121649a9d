// The options LocalFile's source and sink read alike: the file format and the field delimiter.
import { PluginConfigError } from './types.ts';
import { firstPresent, readEnum, readString, type Options } from './options.ts';

export const FILE_FORMATS = ['json', 'csv', 'text'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** `file_format_type`, required. */
export function requireFileFormat(options: Options): FileFormat {
  const format = readEnum(options, 'file_format_type', FILE_FORMATS);
  if (!format) {
    throw new PluginConfigError('file_format_type', `is required (one of ${FILE_FORMATS.join(', ')})`);
  }
  return format;
}

/** `field_delimiter` (alias `delimiter`); by default `,` for csv and `\u0001` for text. */
export function readDelimiter(options: Options, format: FileFormat): string {
  const key = firstPresent(options, ['field_delimiter', 'delimiter']);
  return (key && readString(options, key)) || (format === 'csv' ? ',' : '\u0001');
}
