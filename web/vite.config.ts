/**
 * The console's build: web/ → web/dist, served by the API process at / (src/http/console.ts).
 * Pages are code-split (React.lazy per route); the vendor libraries get their own chunks so a
 * page change does not re-download them. `npm run build:web` prints the initial JS size (gzip).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (id.includes('echarts') || id.includes('zrender')) return 'charts';
          // antd stays with the pages that use it (one antd chunk would load every page's components up front)
          if (id.includes('antd') || id.includes('@ant-design') || id.includes('rc-') || id.includes('@rc-component'))
            return undefined;
          if (id.includes('react') || id.includes('scheduler')) return 'react';
          return 'vendor';
        },
      },
    },
  },
  server: { proxy: { '/v1': 'http://localhost:8080', '/openapi.json': 'http://localhost:8080' } },
});
