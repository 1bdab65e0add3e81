import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The agent console. Built from the repository root with `npx vite build --config web/vite.config.ts`
 * into web/dist, which smsdesk serves at `/`. No plugins: esbuild compiles the JSX for Preact.
 *
 * `npx vite --config web/vite.config.ts` runs a dev server that proxies the API to a running smsdesk
 * (SMSDESK_URL, default http://127.0.0.1:3000).
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const backend = process.env.SMSDESK_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: {
    // The composer imports the pure segment counter from ../src/domain.
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/auth': { target: backend, changeOrigin: false },
      '/sandbox': { target: backend, changeOrigin: false },
    },
  },
});
