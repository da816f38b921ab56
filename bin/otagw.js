#!/usr/bin/env node
// Entry point of the `otagw` command. The sources are TypeScript; tsx compiles them on load so that
// `npx otagw ...` works right after `npm ci`, without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
