/**
 * Builds the portal into dist/ (index.html + hashed assets/), which the store serves under a
 * strict CSP: no inline script or style, so no module-preload polyfill is injected inline.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    // `pnpm dev`: the store (make up) answers the API and the sign-in.
    proxy: {
      '/api': 'http://127.0.0.1:8082',
      '/auth': 'http://127.0.0.1:8082',
      '/portal-config.json': 'http://127.0.0.1:8082',
    },
  },
});
