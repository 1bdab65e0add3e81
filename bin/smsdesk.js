#!/usr/bin/env node
// Entry point for `npm start` and `npx smsdesk`: runs the TypeScript sources through tsx's loader,
// so there is no separate build step between `npm ci` and a running server.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
