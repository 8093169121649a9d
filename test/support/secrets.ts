// One secret key for every in-process test gateway and runtime (and the child processes they start),
// so what one seals the other opens, as in a real install given one key.
import { createSecretBox } from '../../src/lib/secret-box.ts';

export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
export const testSecrets = createSecretBox(Buffer.from(TEST_SECRET_KEY, 'base64'));
