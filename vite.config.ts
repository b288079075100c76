import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The frontend lives in ui/ and is built into dist/, which the Tauri build embeds.
export default defineConfig({
  root: "ui",
  plugins: [react()],
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
