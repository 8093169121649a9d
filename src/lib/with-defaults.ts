// Options over defaults, where an option given as `undefined` keeps its default. A plain spread
// (`{ ...DEFAULTS, ...options }`) lets `{ pollMs: undefined }` (a caller forwarding its own unset
// option, as startRuntime does) replace the default with undefined: the feeds' poll timers then
// fired every millisecond (setInterval's floor) instead of every second.
export function withDefaults<T extends object>(
  defaults: T,
  options: { [K in keyof T]?: T[K] | undefined },
): T {
  const merged = { ...defaults };
  for (const key of Object.keys(options) as (keyof T)[]) {
    const value = options[key];
    if (value !== undefined) merged[key] = value as T[keyof T];
  }
  return merged;
}
