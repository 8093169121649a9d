// The parse/validate cache. Yoga's own (useParserAndValidationCache) keeps every document that
// parses, by its text, before validation and whoever sent it: distinct ~400 KB documents without a
// token each stayed in it (~14 MB of AST each, up to 1,024 of them). This one keeps a document only
// once it has passed authentication (useAuth answers before the body is read), the size and token
// limits (parse) and validation with every limit rule, and it is bounded by the total length of the
// texts it holds as well as by their number.
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export interface DocumentCacheOptions {
  /** Most documents kept. */
  maxEntries: number;
  /** Most characters of document text kept, summed (the AST is bounded by the token limit). */
  maxChars: number;
}

export interface DocumentCache {
  plugin: Plugin;
  /** How many documents it holds, and their total length. */
  size(): { entries: number; chars: number };
}

export function createDocumentCache(options: DocumentCacheOptions): DocumentCache {
  /** Text → document, oldest use first (a Map keeps insertion order; a hit re-inserts). */
  const documents = new Map<string, DocumentNode>();
  /** Documents that passed validation, so a cached one skips it. */
  const validated = new WeakSet<DocumentNode>();
  /** The text of each freshly parsed document, until validation decides whether to keep it. */
  const sources = new WeakMap<DocumentNode, string>();
  let chars = 0;

  const remember = (source: string, document: DocumentNode) => {
    if (source.length > options.maxChars || documents.has(source)) return;
    documents.set(source, document);
    chars += source.length;
    for (const [oldest] of documents) {
      if (documents.size <= options.maxEntries && chars <= options.maxChars) break;
      documents.delete(oldest);
      chars -= oldest.length;
    }
  };

  const plugin: Plugin = {
    onParse({ params, setParsedDocument }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      const cached = documents.get(source);
      if (cached) {
        documents.delete(source);
        documents.set(source, cached);
        setParsedDocument(cached);
        return;
      }
      return ({ result }) => {
        if (result && !(result instanceof Error)) sources.set(result as DocumentNode, source);
      };
    },
    onValidate({ params, setResult }) {
      const document = params.documentAST;
      if (validated.has(document)) {
        setResult([]);
        return;
      }
      return ({ valid }) => {
        const source = sources.get(document);
        if (!valid || source === undefined) return;
        validated.add(document);
        remember(source, document);
      };
    },
  };
  return { plugin, size: () => ({ entries: documents.size, chars }) };
}
