let counter = 0;

/** Ids for tabs: letters, digits and dashes only (the backend checks). */
export function newId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter.toString(36)}`;
}
