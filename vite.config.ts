import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The frontend lives in ui/ and is built into dist/, which the Tauri build embeds. React's
// API is served by Preact's compatibility layer: a tenth of the JavaScript to parse at
// startup and less memory in the webview, with the same components and hooks.
export default defineConfig({
  root: "ui",
  plugins: [react()],
  resolve: {
    alias: {
      react: "preact/compat",
      "react-dom/client": "preact/compat/client",
      "react-dom": "preact/compat",
      "react/jsx-runtime": "preact/jsx-runtime",
    },
  },
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "safari16",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
});
