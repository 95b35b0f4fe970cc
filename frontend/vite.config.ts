import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

// The app is served by the portal from dist/app (embedded by embed.go).
// graphiql.html is a second entry: GraphiQL (React) at /graphiql, served
// by portal/server/graphiql.go when built. `npm run dev` proxies GraphQL
// and /auth to the portal of `make run` (http://127.0.0.1:8080, or
// $ALMONER_PORTAL).
declare const process: { env: Record<string, string | undefined> };
const portal = process.env.ALMONER_PORTAL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [
    // Every text asset is also written compressed beside itself (NAME.br,
    // NAME.gz, embedded with the rest): the portal serves the variant the
    // browser accepts (portal/server static.go), so nothing is compressed
    // per request. Brotli at its best quality (11, Node's default) and
    // gzip at 9: a build pays the time once.
    compression({
      include: /\.(html|js|mjs|css|json|svg|ttf|txt)$/,
      threshold: 1024,
      algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip', { level: 9 })],
      skipIfLargerOrEqual: true,
      logLevel: 'silent',
    }),
  ],
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // No inline data: URLs — the portal's CSP allows same-origin files only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // Top-level await in the GraphiQL entry.
    target: 'es2022',
    rolldownOptions: {
      input: { app: 'index.html', graphiql: 'graphiql.html' },
      onwarn(warning, warn) {
        // GraphiQL's dependencies (framer-motion, radix) mark modules
        // "use client", which means nothing outside React Server Components.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
    // GraphiQL (React + the Monaco editor) is a few MB; it loads only at /graphiql.
    chunkSizeWarningLimit: 4096,
  },
  // Monaco's workers (GraphiQL's editor) are ES modules, built as files
  // under assets/ (never blob: or data: URLs).
  worker: { format: 'es' },
  server: {
    proxy: {
      '/graphql': { target: portal, ws: true, changeOrigin: false },
      '/auth': { target: portal },
    },
  },
});
