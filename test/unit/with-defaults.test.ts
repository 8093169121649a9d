// Options given as undefined keep their defaults: startRuntime forwards its own unset pollMs to the
// feeds, and a plain spread made their poll timers fire every millisecond.
import { expect, it } from 'vitest';
import { withDefaults } from '../../src/lib/with-defaults.ts';

it('keeps a default for an option given as undefined, and takes every option given', () => {
  const defaults = { pollMs: 1_000, pageSize: 500 };
  expect(withDefaults(defaults, { pollMs: undefined })).toEqual({ pollMs: 1_000, pageSize: 500 });
  expect(withDefaults(defaults, { pollMs: 0, pageSize: 20 })).toEqual({ pollMs: 0, pageSize: 20 });
  expect(withDefaults(defaults, {})).toEqual(defaults);
  expect(defaults).toEqual({ pollMs: 1_000, pageSize: 500 });
});
