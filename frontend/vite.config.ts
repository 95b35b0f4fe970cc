import { defineConfig } from 'vite';

// The app is served by the portal from dist/app (embedded by embed.go).
// `npm run dev` proxies GraphQL and /auth to a portal on 127.0.0.1:8080
// (`make run`; edit here for another address).
const portal = 'http://127.0.0.1:8080';

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
