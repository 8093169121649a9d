// Zeta's config shade (ConfigShadeUtils): with `env."shade.identifier"` set, the sensitive options
// of source and sink blocks are encrypted in the config a client keeps and decrypted by the engine
// before the job runs. Zeta ships `default` (no change) and `base64`. encrypt-config answers the
// encrypted config; submit-job decrypts, and jobgate then seals the secret-looking options at rest
// (runtime/definition/secret-options.ts) like every other way in.
import { badRequest } from './respond.ts';
import { isObject } from './request-body.ts';

/** ConfigShadeUtils' default sensitive options. */
const SENSITIVE_OPTIONS = ['password', 'username', 'auth'];
const SHADED_STAGES = ['source', 'sink'];

type Shade = (value: string) => string;

const SHADES: Record<string, { encrypt: Shade; decrypt: Shade }> = {
  default: { encrypt: (v) => v, decrypt: (v) => v },
  base64: {
    encrypt: (v) => Buffer.from(v, 'utf8').toString('base64'),
    decrypt: (v) => Buffer.from(v, 'base64').toString('utf8'),
  },
};

function shadeOf(config: Record<string, unknown>) {
  const env = isObject(config.env) ? config.env : {};
  const identifier = env['shade.identifier'] ?? 'default';
  const shade = typeof identifier === 'string' ? SHADES[identifier] : undefined;
  if (!shade) throw badRequest(`ConfigShade not found: ${String(identifier)}`);
  return shade;
}

function apply(config: Record<string, unknown>, fn: Shade): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const stage of SHADED_STAGES) {
    const blocks = config[stage];
    if (!Array.isArray(blocks)) continue;
    out[stage] = blocks.map((block) => {
      if (!isObject(block)) return block;
      const copy: Record<string, unknown> = { ...block };
      for (const key of SENSITIVE_OPTIONS) if (typeof copy[key] === 'string') copy[key] = fn(copy[key]);
      return copy;
    });
  }
  return out;
}

/** The config with its sensitive options encrypted by its shade (encrypt-config's answer). */
export function encryptConfig(config: Record<string, unknown>): Record<string, unknown> {
  return apply(config, shadeOf(config).encrypt);
}

/** The config with its sensitive options decrypted (what the engine runs). */
export function decryptConfig(config: Record<string, unknown>): Record<string, unknown> {
  return apply(config, shadeOf(config).decrypt);
}
