/** Small DOM helpers of the page (web/main.ts). */

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

export function setStatus(el: HTMLElement, text: string, state?: string, isError = false): void {
  el.textContent = text;
  el.classList.toggle('error', isError);
  if (state) el.dataset.state = state;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A table cell with this text and class. */
export function td(text = '', cls?: string): HTMLTableCellElement {
  const c = document.createElement('td');
  c.textContent = text;
  if (cls) c.className = cls;
  return c;
}

/** Saves bytes as a file through a temporary link (the browser's download). */
export function download(name: string, data: BlobPart, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
