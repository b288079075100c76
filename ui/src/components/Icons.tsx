// Small inline icons (no icon font, no remote content).
import type { JSX } from "react";
import type { NodeKind } from "../types";

const paths: Record<string, JSX.Element> = {
  database: (
    <>
      <ellipse cx="8" cy="3.5" rx="5.5" ry="2" />
      <path d="M2.5 3.5v9c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2v-9M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2" />
    </>
  ),
  schema: <path d="M2 4.5h4l1.5 1.5H14v7.5H2z" />,
  folder: <path d="M1.5 4h4.5l1.5 1.5h7v8h-13z" />,
  table: (
    <>
      <rect x="2" y="3" width="12" height="10" rx="1" />
      <path d="M2 6.5h12M2 9.75h12M6 6.5v6.5" />
    </>
  ),
  view: (
    <>
      <path d="M1.5 8s2.5-4.5 6.5-4.5S14.5 8 14.5 8s-2.5 4.5-6.5 4.5S1.5 8 1.5 8z" />
      <circle cx="8" cy="8" r="2" />
    </>
  ),
  materialized_view: (
    <>
      <path d="M1.5 8s2.5-4.5 6.5-4.5S14.5 8 14.5 8s-2.5 4.5-6.5 4.5S1.5 8 1.5 8z" />
      <circle cx="8" cy="8" r="2" fill="currentColor" />
    </>
  ),
  foreign_table: (
    <>
      <rect x="2" y="3" width="12" height="10" rx="1" strokeDasharray="2 1.5" />
      <path d="M2 6.5h12" />
    </>
  ),
  collection: <path d="M3 3.5h10v9H3zM5 6h6M5 8.5h6M5 11h4" />,
  function: <path d="M10.5 2.5c-2 0-2.5 1-2.8 3L6.5 13.5M4.5 6.5h5.5" />,
  procedure: <path d="M4 3l8 5-8 5z" />,
  sequence: <path d="M2.5 12.5h2v-3h2v-3h2v-3h2v-1h3" />,
  column: <path d="M5 2.5h6v11H5zM5 6h6" />,
  key: (
    <>
      <circle cx="5" cy="8" r="2.5" />
      <path d="M7.5 8h6.5M12 8v2.5M10 8v2" />
    </>
  ),
  index: <path d="M3 3.5h10M3 6.5h7M3 9.5h10M3 12.5h5" />,
  foreign_key: <path d="M2.5 8h8M8 5l3 3-3 3M13.5 3v10" />,
  trigger: <path d="M9 1.5L3.5 9h4L7 14.5 12.5 7h-4z" />,
  connection: (
    <>
      <path d="M5 2.5v3M11 2.5v3M3.5 5.5h9v2.5a4.5 4.5 0 0 1-9 0z" />
      <path d="M8 12.5v2" />
    </>
  ),
  play: <path d="M4.5 2.5l9 5.5-9 5.5z" fill="currentColor" />,
  stop: <rect x="3.5" y="3.5" width="9" height="9" rx="1" fill="currentColor" />,
  plus: <path d="M8 3v10M3 8h10" />,
  close: <path d="M4 4l8 8M12 4l-8 8" />,
  chevron: <path d="M6 4l4 4-4 4" />,
  search: (
    <>
      <circle cx="7" cy="7" r="4" />
      <path d="M10 10l3.5 3.5" />
    </>
  ),
  refresh: <path d="M13 8a5 5 0 1 1-1.5-3.5M13 2.5v3h-3" />,
  edit: <path d="M10.5 2.5l3 3-8 8H2.5v-3z" />,
  trash: <path d="M3 4.5h10M6 4.5V3h4v1.5M4.5 4.5l.7 9h5.6l.7-9" />,
  sun: (
    <>
      <circle cx="8" cy="8" r="3" />
      <path d="M8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6L13 13M3 13l1.4-1.4M11.6 4.4L13 3" />
    </>
  ),
  moon: <path d="M13 10A6 6 0 0 1 6 3a5.5 5.5 0 1 0 7 7z" />,
  gear: (
    <>
      <path d="M12.8 6.5L14.7 6.8L14.7 9.2L12.8 9.5L12.4 10.3L13.6 11.9L11.9 13.6L10.3 12.4L9.5 12.8L9.2 14.7L6.8 14.7L6.5 12.8L5.7 12.4L4.1 13.6L2.4 11.9L3.6 10.3L3.2 9.5L1.3 9.2L1.3 6.8L3.2 6.5L3.6 5.7L2.4 4.1L4.1 2.4L5.7 3.6L6.5 3.2L6.8 1.3L9.2 1.3L9.5 3.2L10.3 3.6L11.9 2.4L13.6 4.1L12.4 5.7z" />
      <circle cx="8" cy="8" r="2" />
    </>
  ),
  keyboard: (
    <>
      <rect x="1.5" y="4" width="13" height="8" rx="1" />
      <path d="M4 6.5h1M7 6.5h1M10 6.5h2M4 9.5h8" />
    </>
  ),
};

export function Icon({ name, title }: { name: string; title?: string }) {
  return (
    <svg
      className={`icon icon-${name}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.3"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden={title === undefined}
      role={title === undefined ? undefined : "img"}
    >
      {title === undefined ? null : <title>{title}</title>}
      {paths[name] ?? paths.folder}
    </svg>
  );
}

export function nodeIcon(kind: NodeKind, detail: string | null): string {
  if (kind === "column" && detail?.includes(" PK")) return "key";
  return kind;
}
