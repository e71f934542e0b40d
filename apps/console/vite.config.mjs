// The console is served by data-service at /console (same origin as the API). `npx nx serve console` runs Vite's
// dev server with the API proxied to a data-service on 127.0.0.1:3000.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: '/console/',
  plugins: [react()],
  // data-service puts a fresh nonce in place of this in every index.html it serves (and in its CSP's style-src):
  // CodeMirror's editor mounts its styles in a <style> element, which the CSP allows only with that nonce.
  html: { cspNonce: 'SIGNALBOX_CSP_NONCE' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/workspace': 'http://127.0.0.1:3000' } },
});
