#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so there is no build step and no build output.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin/jobgate.ts');
