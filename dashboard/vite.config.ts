import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The operator board, built into dashboard/dist (the gateway serves it at `/`).
 * `npm run build:dashboard` runs `vite build dashboard`, which finds this file through the root.
 * Preact JSX through Vite's own transformer: no framework plugin needed.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One small app: a single chunk loads faster on a wall screen than a waterfall. The map
    // pages are the exception (src/lazy-page.tsx): Leaflet and its plugins load when first opened.
    chunkSizeWarningLimit: 300,
  },
  // `npm run dev:dashboard`: the gateway on :8080 answers the API, the stream and the base-map archive.
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/map/tiles.pmtiles': 'http://127.0.0.1:8080' } },
})
