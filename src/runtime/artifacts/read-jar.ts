// What jobgate reads inside an uploaded jar: the job definition at JAR_DEFINITION_PATH and the
// manifest's Main-Class. A jar is a zip; only those two entries are inflated, each only when its
// declared size is under a bound, so a zip bomb costs nothing.
import { unzipSync } from 'fflate';
import { BadInputError } from '../../lib/errors.ts';

/** Where a jar carries the jobgate job definition it runs. */
export const JAR_DEFINITION_PATH = 'jobgate/job.json';
const MANIFEST_PATH = 'META-INF/MANIFEST.MF';
/** The largest definition or manifest inflated. */
const MAX_ENTRY_BYTES = 1_048_576;

export interface JarContents {
  /** The parsed definition document, or null when the jar has none or it does not parse. */
  definition: Record<string, unknown> | null;
  /** Why the definition entry is there but unusable. */
  definitionProblem: string | null;
  /** The manifest's Main-Class, if any. */
  entryClass: string | null;
}

/** The entries jobgate reads, inflated; BAD_USER_INPUT naming `path` when `bytes` is not a zip. */
function unzipWanted(bytes: Uint8Array, path: string): Record<string, Uint8Array> {
  const tooLarge: string[] = [];
  try {
    const files = unzipSync(bytes, {
      filter: (file) => {
        if (file.name !== JAR_DEFINITION_PATH && file.name !== MANIFEST_PATH) return false;
        if (file.originalSize > MAX_ENTRY_BYTES) tooLarge.push(file.name);
        return file.originalSize <= MAX_ENTRY_BYTES;
      },
    });
    for (const name of tooLarge) files[name] = new Uint8Array(0);
    return files;
  } catch (err) {
    throw new BadInputError(`${path}: not a jar (a zip archive): ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
}

/** The Main-Class header of a manifest (continuation lines start with one space). */
function mainClass(manifest: string): string | null {
  const unfolded = manifest.replace(/\r?\n /g, '');
  const match = /^Main-Class:\s*(\S+)\s*$/m.exec(unfolded);
  return match ? match[1]!.slice(0, 500) : null;
}

function parseDefinition(bytes: Uint8Array): Pick<JarContents, 'definition' | 'definitionProblem'> {
  if (bytes.length === 0) {
    return {
      definition: null,
      definitionProblem: `${JAR_DEFINITION_PATH} is empty or over ${MAX_ENTRY_BYTES} bytes`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return {
      definition: null,
      definitionProblem: `${JAR_DEFINITION_PATH} is not JSON: ${(err as Error).message}`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { definition: null, definitionProblem: `${JAR_DEFINITION_PATH} must hold a JSON object` };
  }
  // Postgres stores neither NUL nor a lone surrogate in jsonb; JSON.stringify escapes both.
  if (/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(parsed))) {
    return { definition: null, definitionProblem: `${JAR_DEFINITION_PATH} holds a NUL or a lone surrogate` };
  }
  return { definition: parsed as Record<string, unknown>, definitionProblem: null };
}

/** Reads a jar's definition and entry class; BAD_USER_INPUT when it is not a zip at all. */
export function readJar(bytes: Uint8Array, path: string): JarContents {
  const files = unzipWanted(bytes, path);
  const manifest = files[MANIFEST_PATH];
  const entryClass = manifest ? mainClass(new TextDecoder().decode(manifest)) : null;
  const definition = files[JAR_DEFINITION_PATH];
  if (!definition) return { definition: null, definitionProblem: null, entryClass };
  return { ...parseDefinition(definition), entryClass };
}
