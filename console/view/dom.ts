/**
 * The one DOM helper the views share: an element with attributes and
 * children in one call. Text goes in as text nodes, never as HTML, so a group
 * name or a status value cannot inject markup into the page.
 */

type Child = Node | string | null | undefined;

/** `<tag attr…>children</tag>`; `attrs` values are set as attributes (`class`, `data-testid`, …). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(child);
  }
  return element;
}

/** Sets an element's text only when it changed (so a selection or a hover in it is not reset every second). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
