import { defineConfig } from 'vite';

// The app is served by the portal from dist/app (embedded by embed.go).
// `npm run dev` proxies GraphQL and /auth to the portal of `make run`
// (http://127.0.0.1:8080, or $ALMONER_PORTAL).
declare const process: { env: Record<string, string | undefined> };
const portal = process.env.ALMONER_PORTAL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // No inline data: URLs — the portal's CSP allows same-origin files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/graphql': { target: portal, ws: true, changeOrigin: false },
      '/auth': { target: portal },
    },
  },
});
