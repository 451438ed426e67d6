import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API (npm start, port 3000) serves the built app; `npm run dev` runs this dev server with
// hot reload in front of it, passing the API's paths (and the availability WebSocket) through.
const api = process.env.API_ORIGIN ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  // The budget that matters is the first page's gzipped JavaScript (test/web-bundle.test.ts: ≤ 200 KB);
  // raw, the entry is ~350 KB with both languages' catalogues, so warn only past that.
  build: { outDir: 'dist', manifest: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api, ws: true, changeOrigin: true },
      '/api-docs': api,
    },
  },
});
