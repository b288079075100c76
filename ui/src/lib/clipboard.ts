// The clipboard, through Tauri's clipboard plugin: copying works after an await (the IPC
// call that builds the text), where the browser clipboard API would refuse it.
import { writeText } from "@tauri-apps/plugin-clipboard-manager";

export async function copyText(text: string): Promise<void> {
  await writeText(text);
}

/** Characters as people count them (code points, not UTF-16 units). */
export function charCount(text: string): number {
  return Array.from(text).length;
}
