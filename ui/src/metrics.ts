// Timings the end-to-end tests and benchmarks read from the window (nothing leaves the app).

export interface Metrics {
  /** Epoch ms when the connection list first rendered: the window is usable. */
  readyAt: number | null;
  /** Run pressed → first row painted, and → Done, for the latest query. */
  lastRun: { firstRowMs: number | null; doneMs: number | null; rows: number } | null;
  /** Click → children painted, per tree expansion, latest last. */
  treeExpands: { path: string[]; count: number; ms: number }[];
}

declare global {
  interface Window {
    __dbhive?: Metrics;
  }
}

export const metrics: Metrics = { readyAt: null, lastRun: null, treeExpands: [] };
window.__dbhive = metrics;
