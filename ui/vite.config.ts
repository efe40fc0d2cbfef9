import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Tauri shell loads ui/dist (tauri.conf.json: frontendDist "../ui/dist").
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  // Test hooks (window.__livecardDev) exist in dev, vitest and `vite build --mode e2e` (what
  // scripts/e2e.sh embeds in the debug app); the production build drops them as dead code.
  define: { __LIVECARD_DEV_HOOKS__: JSON.stringify(mode !== 'production') },
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK and Android WebView are current; no legacy transpiling.
    target: 'es2022',
    // Inlined assets would need data: URLs in the CSP; keep them as files.
    assetsInlineLimit: 0,
  },
  // Component tests mount Svelte's browser build in jsdom.
  resolve: mode === 'test' ? { conditions: ['browser'] } : undefined,
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
}));
