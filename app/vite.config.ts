import { defineConfig } from 'vite';

// Served by Gateway.Api at /app (Infrastructure/WebAppSetup.cs) with a strict CSP: no inline script, so keep
// modulePreload's polyfill off (it is not needed by current browsers) and everything in files under /app/assets.
export default defineConfig({
  base: '/app/',
  build: {
    outDir: '../Gateway.Api/wwwroot/app',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  server: {
    // `npm run dev`: the gateway runs on 127.0.0.1:8080 (scripts/demo.sh); the API is proxied so it stays same-origin.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
