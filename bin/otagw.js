#!/usr/bin/env node
// Entry point of the `otagw` command. The sources are TypeScript; tsx (a runtime dependency) compiles
// them on load, so one code path serves development, the tests and production: `npx otagw ...` works
// right after `npm ci`, and `npm ci --omit=dev && npm start` runs the gateway, with no build step and no
// dist/ to go stale. (`npm run build` is a type-checked compile only; nothing runs its output.)
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
