import { defineConfig } from 'vite';

// JSX is compiled by Vite's own esbuild (no React plugin needed): the automatic runtime imports
// react/jsx-runtime by itself.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    // The UI is served under a Content-Security-Policy: keep every asset a file, never a data: URI.
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev`: the page calls /api/…, which this proxy forwards to a local digit-server.
    proxy: {
      '/api': {
        target: process.env.DIGIT_API_TARGET || 'http://localhost:5001',
        changeOrigin: true,
        rewrite: (path) => path.replace(/^\/api/, ''),
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.js'],
    include: ['src/**/*.test.{js,jsx}'],
    restoreMocks: true,
  },
});
